// Browser benchmarks of the web app (BENCHMARKS.md, "## web app"). Not part
// of the default test run: `npx playwright test -c bench/bench.config.ts`
// after `bash scripts/build-site.sh --lib-features bench` (see
// bench/README.md). Reports numbers; asserts no timings.
import { defineConfig } from "@playwright/test";
import * as path from "node:path";
import { browserMarker, ownDataDir, port } from "./env";

const root = path.resolve(__dirname, "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
const server = process.env.E2E_SERVER_BIN ?? path.join(targetDir, "release", "onetimeshare");
const siteRoot = process.env.E2E_SITE_ROOT ?? path.join(root, "target", "site");
// Without OTS_DATA_DIR the server writes to a directory of its own, removed
// after the run (bench/teardown.ts): a run stores a few GiB of parts.
const dataDir = process.env.OTS_DATA_DIR ?? ownDataDir;

export default defineConfig({
  testDir: ".",
  testMatch: /.*\.bench\.ts/,
  timeout: 900_000,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "../test-results/bench",
  globalTeardown: "./teardown.ts",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // The last switch, which Chromium ignores, marks the browser process
      // whose memory web.bench.ts samples.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-quic",
        browserMarker,
      ],
    },
  },
  webServer: {
    command: `"${server}" --listen 127.0.0.1:${port} --data-dir "${dataDir}" --site-root "${siteRoot}"`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      RUST_LOG: "warn",
      OTS_RATE_CREATE_PER_MIN: "0",
      OTS_RATE_CLAIM_PER_MIN: "0",
      OTS_MAX_SHARE_BYTES: String(2 * 1024 * 1024 * 1024),
      // Independent of the host's free space.
      OTS_MAX_STORED_BYTES: String(16 * 1024 ** 3),
    },
  },
});

import { defineConfig, devices } from "@playwright/test";
import * as path from "node:path";

// scripts/e2e.sh picks a free port, a fresh data dir and the built server;
// Playwright starts that server itself and refuses to reuse another one, so a
// stale server on a taken port can never be tested by mistake.
const port = Number(process.env.E2E_PORT ?? "3917");
const root = path.resolve(__dirname, "..");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
const server = process.env.E2E_SERVER_BIN ?? path.join(targetDir, "release", "onetimeshare");
const siteRoot = process.env.E2E_SITE_ROOT ?? path.join(root, "target", "site");
const dataDir = process.env.OTS_DATA_DIR ?? path.join(root, "target", "e2e-data");

export default defineConfig({
  testDir: "./tests",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "./test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command: `"${server}" --listen 127.0.0.1:${port} --data-dir "${dataDir}" --site-root "${siteRoot}"`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      RUST_LOG: process.env.RUST_LOG ?? "warn",
      OTS_RATE_CREATE_PER_MIN: "0",
      OTS_RATE_CLAIM_PER_MIN: "0",
      // A quota of its own (16 GiB): the default, keep 10% of the disk free,
      // would make the suite depend on the host's free space.
      OTS_MAX_STORED_BYTES: String(16 * 1024 ** 3),
    },
  },
});

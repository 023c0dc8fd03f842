// The sealing and opening workers use the workers' SIMD bundle
// (`/pkg/crypt-simd.js`, ChaCha20 in WebAssembly SIMD) where the browser
// runs SIMD. A browser without SIMD never fetches it, loads every piece of
// the page's bundle (which holds no SIMD instruction) and sends and
// receives with it, in its workers; so does a browser whose SIMD bundle
// cannot be fetched. The browser without SIMD is this Chromium with V8's
// SSE4.1 code off, which turns WebAssembly SIMD off with it.
import { test, expect, Browser, BrowserContext, TestInfo } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

const SIMD_BUNDLE = /\/pkg\/crypt-simd(_bg\.wasm|\.js)$/;
/** The piece of the page's bundle that seals and opens in its workers. */
const RECORDS_PIECE = /\/pkg\/split_stream_records\.wasm$/;

/** The smallest module with a SIMD instruction, as `public/crypt-worker.js` probes. */
const SIMD_PROBE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x17, 0x01, 0x15, 0x00, 0xfd, 0x0c, ...new Array(16).fill(0), 0x1a, 0x0b,
];

/** A Chromium in which WebAssembly SIMD does not run. */
async function browserWithoutSimd(
  chromium: { launch: (options: object) => Promise<Browser> },
  testInfo: TestInfo,
): Promise<Browser> {
  const launch = testInfo.project.use.launchOptions ?? {};
  return chromium.launch({ ...launch, args: [...(launch.args ?? []), "--js-flags=--no-enable-sse4-1"] });
}

interface Fetches {
  simd: number;
  records: number;
  mainThread: string[];
}

/** Counts, in `contexts` and their workers, fetches of the SIMD bundle and of the records piece, and pages that fell back to their main thread. */
async function watch(contexts: BrowserContext[], blockSimd = false): Promise<Fetches> {
  const seen: Fetches = { simd: 0, records: 0, mainThread: [] };
  for (const ctx of contexts) {
    await ctx.route(SIMD_BUNDLE, (route) => {
      seen.simd += 1;
      return blockSimd ? route.abort("internetdisconnected") : route.continue();
    });
    await ctx.route(RECORDS_PIECE, (route) => {
      seen.records += 1;
      return route.continue();
    });
    ctx.on("console", (m) => {
      if (m.text().includes("on the main thread")) seen.mainThread.push(m.text());
    });
  }
  return seen;
}

/** Sends a two-part file (a record across the boundary) from `sender` and saves it in `recipient`: byte-identical. */
async function roundTrip(sender: BrowserContext, recipient: BrowserContext) {
  const dir = tempDir();
  try {
    const { file, sha256 } = randomFile(dir, "two-parts.bin", 9 * 1024 * 1024 + 3);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file);
    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();
    expect(await sha256File(await saved.path())).toBe(sha256);
  } finally {
    removeDir(dir);
  }
}

test("where the browser runs SIMD, the workers seal and open with the SIMD bundle", async ({ browser }) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const probe = await sender.newPage();
    expect(await probe.evaluate((bytes) => WebAssembly.validate(new Uint8Array(bytes)), SIMD_PROBE)).toBe(true);
    await probe.close();
    const seen = await watch([sender, recipient]);
    await roundTrip(sender, recipient);
    expect(seen.simd).toBeGreaterThan(0);
    expect(seen.records).toBe(0);
    expect(seen.mainThread).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("a browser without SIMD loads the page's bundle whole and sends and receives in its workers", async ({
  playwright,
  baseURL,
}, testInfo) => {
  const browser = await browserWithoutSimd(playwright.chromium, testInfo);
  try {
    const sender = await browser.newContext({ baseURL });
    const recipient = await browser.newContext({ baseURL, acceptDownloads: true });
    // The browser really lacks SIMD: the probe is invalid and the SIMD
    // bundle does not compile; every piece of the page's bundle does.
    const page = await sender.newPage();
    await page.goto("/");
    const compiled = await page.evaluate(async (bytes) => {
      const compiles = async (path: string) => {
        try {
          await WebAssembly.compile(await (await fetch(path)).arrayBuffer());
          return "ok";
        } catch (err) {
          return String(err);
        }
      };
      const manifest = await (await fetch("/pkg/__wasm_split_manifest.json")).json();
      const files = new Set<string>(["onetimeshare"]);
      for (const pieces of Object.values(manifest) as string[][]) pieces.forEach((p) => files.add(p));
      const pageBundle: Record<string, string> = {};
      for (const f of files) pageBundle[f] = await compiles(`/pkg/${f}.wasm`);
      return {
        probe: WebAssembly.validate(new Uint8Array(bytes)),
        simdBundle: await compiles("/pkg/crypt-simd_bg.wasm"),
        pageBundle,
      };
    }, SIMD_PROBE);
    expect(compiled.probe).toBe(false);
    expect(compiled.simdBundle).toContain("CompileError");
    expect(Object.keys(compiled.pageBundle).length).toBeGreaterThan(5);
    for (const [file, result] of Object.entries(compiled.pageBundle)) {
      expect(result, `${file}.wasm without SIMD`).toBe("ok");
    }
    await page.close();

    const seen = await watch([sender, recipient]);
    await roundTrip(sender, recipient);
    expect(seen.simd).toBe(0);
    expect(seen.records).toBeGreaterThan(0);
    expect(seen.mainThread).toEqual([]);
  } finally {
    await browser.close();
  }
});

test("workers whose SIMD bundle cannot be fetched seal and open with the page's bundle", async ({ browser }) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const seen = await watch([sender, recipient], true);
    await roundTrip(sender, recipient);
    expect(seen.simd).toBeGreaterThan(0);
    expect(seen.records).toBeGreaterThan(0);
    expect(seen.mainThread).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

// A large send does not pile up its parts in the browser's memory.
//
// Each sealed part is uploaded as a Blob, and a Blob's bytes stay in the
// browser process until every object that refers to them is garbage
// collected. A page that only passes Blobs around gives the collector no
// reason to run, so every part of a send stayed in memory until the end,
// and after a few hundred MiB Chromium failed the uploads with
// ERR_BLOB_OUT_OF_MEMORY (in a private window, where Blobs cannot go to
// disk, as in every Playwright context). The page now makes each part's
// Blob from an array as large as the part, which the collector counts.
//
// Measured as the resident memory of the browser's own process (where
// Blob bytes live), so this spec starts a browser of its own, marked by a
// switch Chromium ignores, to find its process.
import { test, expect, chromium } from "@playwright/test";
import { manageStatus, manageTokenOf } from "./fixtures/api";
import { SendPage } from "./fixtures/pages";
import { browserProcess, residentGrowth } from "./fixtures/process";
import { randomFile, removeDir, tempDir } from "./fixtures/files";

const MIB = 1024 * 1024;
const SIZE_MIB = 640;

test(`sending ${SIZE_MIB} MiB holds far less than the file in the browser's memory`, async ({ baseURL, launchOptions }) => {
  test.setTimeout(300_000);
  const dir = tempDir();
  const marker = `--ots-send-memory=${process.pid}`;
  // The configured browser, with the marker added.
  const browser = await chromium.launch({ ...launchOptions, args: [...(launchOptions.args ?? []), marker] });
  try {
    const pid = browserProcess(marker);
    const { file } = randomFile(dir, "large.bin", SIZE_MIB * MIB);
    const context = await browser.newContext({ baseURL });
    const page = await context.newPage();
    const send = new SendPage(page);
    await send.goto();
    await send.fileTab.click();
    await send.fileInput.setInputFiles(file);

    let grown = 0;
    const growth = residentGrowth(pid);
    // The page retries a failed upload, so a failure would only show as a
    // send that never ends: the first one fails the spec.
    const failure = new Promise<never>((_, reject) =>
      page.on("requestfailed", (r) => reject(new Error(`${r.url()} failed: ${r.failure()?.errorText}`))),
    );
    try {
      await send.send.click();
      const links = await Promise.race([send.links(120_000), failure]);
      const origin = new URL(links.manage).origin;
      const status = await manageStatus(origin, { id: links.id, manageToken: manageTokenOf(links.manage) });
      expect(status.state).toBe("ready");
    } finally {
      grown = growth.stop();
    }
    console.log(`browser process grew ${grown.toFixed(0)} MiB while sending ${SIZE_MIB} MiB`);
    // Holding every part would be the whole file; the parts in flight and
    // those waiting for the next collection are a fraction of it.
    expect(grown).toBeLessThan(SIZE_MIB / 2);
  } finally {
    await browser.close();
    removeDir(dir);
  }
});

// The pages start their sealing and opening workers ahead of a transfer
// that needs them: the send page once a file too large to go inline is
// chosen, the link's page once it knows the share is large. The transfer
// then uses those workers; small shares start none, and the send page's
// workers end when the files left can go inline.
import { test, expect, Page, Worker } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { textShare } from "./fixtures/api";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

/** How many workers a pool starts on this machine: one per core, at most four (browser/crypt.rs). */
function poolSize(page: Page): Promise<number> {
  return page.evaluate(() => Math.min(Math.max(navigator.hardwareConcurrency || 1, 1), 4));
}

/** The crypt workers `page` starts from now on. */
function cryptWorkers(page: Page): Worker[] {
  const started: Worker[] = [];
  page.on("worker", (w) => {
    if (w.url().includes("crypt-worker")) started.push(w);
  });
  return started;
}

test("a large file's workers start when it is chosen and do its send and its receive", async ({ browser, baseURL }) => {
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    // A small file goes inline: no worker.
    const small = await sender.newPage();
    const smallWorkers = cryptWorkers(small);
    const smallSend = new SendPage(small);
    await smallSend.goto();
    await smallSend.chooseFiles([{ name: "small.txt", mimeType: "text/plain", buffer: Buffer.alloc(1000, 7) }]);
    await expect(smallSend.fileEntries).toHaveCount(1);
    await small.waitForTimeout(1_000);
    expect(smallWorkers).toHaveLength(0);

    // A large one: the workers start before Send is pressed, and no others after.
    const { file, sha256 } = randomFile(dir, "large.bin", 6 * 1024 * 1024 + 5);
    const page = await sender.newPage();
    const sendWorkers = cryptWorkers(page);
    const send = new SendPage(page);
    await send.goto();
    await send.chooseFiles([file]);
    // The whole pool (its workers are reported one by one), then no more.
    const pool = await poolSize(page);
    await expect.poll(() => sendWorkers.length, { timeout: 10_000 }).toBe(pool);
    const before = sendWorkers.length;
    await send.send.click();
    const links = await send.links(120_000);
    expect(sendWorkers).toHaveLength(before);

    // The link's page starts them once it knows the share is large.
    const opened = await recipient.newPage();
    const openWorkers = cryptWorkers(opened);
    const receive = new ReceivePage(opened);
    await receive.open(links.share);
    await expect.poll(() => openWorkers.length, { timeout: 10_000 }).toBe(pool);
    const waiting = openWorkers.length;
    const saved = await receive.revealDownload();
    expect(await sha256File(await saved.path())).toBe(sha256);
    expect(openWorkers).toHaveLength(waiting);

    // A text's page starts none.
    const text = await textShare(new URL(baseURL!).origin);
    const textPage = await recipient.newPage();
    const textWorkers = cryptWorkers(textPage);
    const textReceive = new ReceivePage(textPage);
    await textReceive.open(text.share);
    await textPage.waitForTimeout(1_000);
    expect(textWorkers).toHaveLength(0);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

test("the workers started for a large file end when it is removed", async ({ page }) => {
  const dir = tempDir();
  try {
    const workers = cryptWorkers(page);
    const closed: Worker[] = [];
    page.on("worker", (w) => {
      if (w.url().includes("crypt-worker")) w.on("close", () => closed.push(w));
    });
    const send = new SendPage(page);
    await send.goto();
    const { file } = randomFile(dir, "large.bin", 6 * 1024 * 1024 + 5);
    await send.chooseFiles([file]);
    await expect.poll(() => workers.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const started = workers.length;

    // With a small file beside it the total still needs the workers.
    await send.chooseFiles([{ name: "small.txt", mimeType: "text/plain", buffer: Buffer.alloc(1000, 7) }]);
    await expect(send.fileEntries).toHaveCount(2);
    await page.waitForTimeout(500);
    expect(closed).toHaveLength(0);

    // What is left goes inline: the pool ends, and no other starts.
    await send.removeFile("large.bin");
    await expect(send.fileEntries).toHaveCount(1);
    await expect.poll(() => closed.length, { timeout: 10_000 }).toBe(started);
    expect(workers).toHaveLength(started);

    // Chosen again, the large file gets a pool of its own.
    await send.chooseFiles([file]);
    await expect.poll(() => workers.length, { timeout: 10_000 }).toBeGreaterThan(started);
  } finally {
    removeDir(dir);
  }
});

// A received file goes to the browser's private file system through the
// receive page's save worker (public/save-worker.js), which writes it with
// a synchronous access handle; the page's writable stream, several times
// the browser's CPU per byte, is only the fallback. In a browser without
// writable streams on the main thread (Safari before 26), the save worker
// still keeps the file out of memory.
import { test, expect, BrowserContext } from "@playwright/test";
import { downloadNames, opfsNames, ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

/** Counts the page's calls of createWritable (in `window.__writables`), or removes it. */
async function watchWritables(ctx: BrowserContext, remove: boolean) {
  await ctx.addInitScript((remove: boolean) => {
    const proto = FileSystemFileHandle.prototype as any;
    if (remove) {
      delete proto.createWritable;
      return;
    }
    const create = proto.createWritable;
    (window as any).__writables = 0;
    proto.createWritable = function (...args: unknown[]) {
      (window as any).__writables += 1;
      return create.apply(this, args);
    };
  }, remove);
}

/** Sends a two-part file from one context and saves it in another; what the recipient saw. */
async function roundTrip(sender: BrowserContext, recipient: BrowserContext, name: string) {
  const dir = tempDir();
  try {
    // Two parts, with a record across the boundary.
    const { file, sha256 } = randomFile(dir, name, 9 * 1024 * 1024 + 3);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file);

    const page = await recipient.newPage();
    const workers: string[] = [];
    page.on("worker", (w) => workers.push(new URL(w.url()).pathname));
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();
    expect(await sha256File(await saved.path())).toBe(sha256);
    return { page, receive, workers };
  } finally {
    removeDir(dir);
  }
}

test("the save worker writes a received file into the private file system", async ({ browser }) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  await watchWritables(recipient, false);
  try {
    const { page, receive, workers } = await roundTrip(sender, recipient, "by-worker.bin");
    expect(workers).toContain("/save-worker.js");
    expect(await page.evaluate(() => (window as any).__writables)).toBe(0);
    await expect(receive.saved).not.toContainText("assembled in memory");
    expect(await opfsNames(page)).toHaveLength(1);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("without writable streams in the page the save worker keeps the file on disk", async ({ browser }) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  // As in Safari before 26: OPFS, but no createWritable on the main thread.
  await watchWritables(recipient, true);
  try {
    const { page, receive, workers } = await roundTrip(sender, recipient, "no-writable.bin");
    expect(workers).toContain("/save-worker.js");
    await expect(receive.saved).not.toContainText("assembled in memory");
    expect(await opfsNames(page)).toHaveLength(1);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("a save worker that does not load leaves the writing to the page's writable stream", async ({ browser }) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  let refused = 0;
  await recipient.route("**/save-worker.js", (route) => {
    refused += 1;
    return route.abort();
  });
  await watchWritables(recipient, false);
  try {
    const { page, receive } = await roundTrip(sender, recipient, "by-page.bin");
    expect(refused).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as any).__writables)).toBe(1);
    await expect(receive.saved).not.toContainText("assembled in memory");
    expect(await opfsNames(page)).toHaveLength(1);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("a write the save worker cannot make ends the receive with the reason and keeps nothing", async ({ browser }) => {
  test.setTimeout(120_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  // A save worker that opens the file, then fails every write, as on a full disk.
  await recipient.route("**/save-worker.js", (route) =>
    route.fulfill({
      contentType: "text/javascript",
      body: `self.onmessage = (e) => self.postMessage(e.data.op === "write" ? { error: "no space left" } : {});`,
    }),
  );
  try {
    const { file } = randomFile(dir, "disk-full.bin", 9 * 1024 * 1024 + 3);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file);

    const page = await recipient.newPage();
    const downloads = downloadNames(page);
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await receive.revealWith();
    await receive.expectState("error");
    await expect(receive.state).toContainText("the file could not be written: no space left");
    await page.waitForTimeout(500);
    expect(downloads).toEqual([]);
    await expect.poll(() => opfsNames(page)).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

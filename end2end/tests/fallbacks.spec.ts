// Older browsers: without OPFS writes a received file is assembled in
// memory; without module workers Argon2id, sealing and opening run on the
// main thread; a worker script that does not load leaves the work to the
// page. All still round trip.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

test("without the origin private file system a file is saved from memory", async ({ browser }) => {
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  // No way to write an OPFS file: no writable streams in the page, and no
  // save worker (its script does not load).
  await recipient.addInitScript(() => {
    // @ts-ignore
    delete FileSystemFileHandle.prototype.createWritable;
  });
  await recipient.route("**/save-worker.js", (route) => route.abort());
  try {
    const { file, sha256 } = randomFile(dir, "from-memory.bin", 9 * 1024 * 1024 + 3);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file);

    const page = await recipient.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toContainText("assembled in memory");
    expect(await sha256File(await saved.path())).toBe(sha256);
    const leftovers = await page.evaluate(async () => {
      const names: string[] = [];
      // @ts-ignore: keys() is there in Chromium.
      for await (const name of (await navigator.storage.getDirectory()).keys()) names.push(name);
      return names;
    });
    expect(leftovers).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

test("without module workers Argon2id runs on the main thread and still opens", async ({ browser }) => {
  test.setTimeout(120_000);
  const ctx = await browser.newContext();
  await ctx.addInitScript(() => {
    // @ts-ignore: a browser whose Worker refuses module scripts.
    window.Worker = class {
      constructor() {
        throw new TypeError("module workers are not supported");
      }
    };
  });
  try {
    const page = await ctx.newPage();
    const warnings: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "warning") warnings.push(m.text());
    });
    const send = new SendPage(page);
    await send.goto();
    const links = await send.shareText("no worker here", { password: "still a password" });
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    expect(await receive.revealText("still a password")).toBe("no worker here");
    expect(warnings.filter((w) => w.includes("Argon2id runs on the main thread")).length).toBeGreaterThan(0);
  } finally {
    await ctx.close();
  }
});

test("without module workers a file is sealed and opened in the page", async ({ browser }) => {
  test.setTimeout(120_000);
  const dir = tempDir();
  const ctx = await browser.newContext({ acceptDownloads: true });
  await ctx.addInitScript(() => {
    // @ts-ignore: a browser whose Worker refuses module scripts.
    window.Worker = class {
      constructor() {
        throw new TypeError("module workers are not supported");
      }
    };
  });
  try {
    // Two parts, with a record across the boundary.
    const { file, sha256 } = randomFile(dir, "no-workers.bin", 9 * 1024 * 1024 + 3);
    const page = await ctx.newPage();
    const send = new SendPage(page);
    await send.goto();
    const links = await send.shareFile(file);
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();
    expect(await sha256File(await saved.path())).toBe(sha256);
  } finally {
    await ctx.close();
    removeDir(dir);
  }
});

test("a worker script that does not load leaves the work to the page", async ({ browser }) => {
  test.setTimeout(120_000);
  const dir = tempDir();
  const ctx = await browser.newContext({ acceptDownloads: true });
  // The workers start, but their script never arrives.
  let refused = 0;
  await ctx.route("**/crypt-worker.js", (route) => {
    refused += 1;
    return route.abort();
  });
  try {
    const { file, sha256 } = randomFile(dir, "no-worker-script.bin", 9 * 1024 * 1024 + 3);
    const page = await ctx.newPage();
    const send = new SendPage(page);
    await send.goto();
    const links = await send.shareFile(file);
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();
    expect(await sha256File(await saved.path())).toBe(sha256);
    expect(refused).toBeGreaterThan(0);
  } finally {
    await ctx.close();
    removeDir(dir);
  }
});

// A decrypted file lives in the browser's private file system (OPFS) only
// while its page needs it: the recipient can delete it once the download
// is done, leaving the page deletes it, and every page load deletes what
// closed tabs left behind, but never a file another open tab still uses.
import { test, expect, BrowserContext, Page } from "@playwright/test";
import { opfsNames, ReceivePage, SendPage, hydrated } from "./fixtures/pages";
import { sha256File, sha256Hex } from "./fixtures/files";
import * as crypto from "node:crypto";

async function shareFile(ctx: BrowserContext, bytes: Buffer) {
  const send = new SendPage(await ctx.newPage());
  await send.goto();
  const links = await send.shareFile({ name: "private.bin", mimeType: "application/octet-stream", buffer: bytes });
  await send.page.close();
  return links;
}

/** Opens and saves a file share in `page`; returns the download's sha256. */
async function receiveFile(page: Page, link: string): Promise<string> {
  const receive = new ReceivePage(page);
  await receive.open(link);
  const saved = await receive.revealDownload();
  await expect(receive.saved).toBeVisible();
  return sha256File(await saved.path());
}

test("after a download the decrypted copy can be deleted at once, and leaving the page deletes it", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const first = crypto.randomBytes(3 * 1024 * 1024);
    const second = crypto.randomBytes(2 * 1024 * 1024 + 7);
    const a = await shareFile(sender, first);
    const b = await shareFile(sender, second);

    const page = await recipient.newPage();
    expect(await receiveFile(page, a.share)).toBe(sha256Hex(first));
    expect(await opfsNames(page)).toHaveLength(1);
    const receive = new ReceivePage(page);
    await receive.forgetSaved.click();
    await expect(receive.forgotten).toBeVisible();
    await expect(receive.saveAgain).toHaveCount(0);
    await expect.poll(() => opfsNames(page)).toEqual([]);

    // Saved, then the tab closes without a click.
    expect(await receiveFile(page, b.share)).toBe(sha256Hex(second));
    expect(await opfsNames(page)).toHaveLength(1);
    await page.close({ runBeforeUnload: true });
    // A page of the origin that runs none of the app's code looks.
    const look = await recipient.newPage();
    await look.goto("/healthz");
    await expect.poll(() => opfsNames(look)).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("a page load deletes files left by closed tabs, not those of open ones", async ({ browser }) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const bytes = crypto.randomBytes(1024 * 1024 + 3);
    const links = await shareFile(sender, bytes);

    // One tab has a saved file and stays open.
    const open = await recipient.newPage();
    expect(await receiveFile(open, links.share)).toBe(sha256Hex(bytes));
    const kept = await opfsNames(open);
    expect(kept).toHaveLength(1);

    // What a killed tab leaves: a file of the app with no tab behind it,
    // just written (so no age rule could explain its removal).
    const other = await recipient.newPage();
    await other.goto("/healthz");
    const leftover = `ots-${Date.now()}-deadbeefdeadbeef`;
    await other.evaluate(async (name) => {
      const root = await navigator.storage.getDirectory();
      const file = await root.getFileHandle(name, { create: true });
      const w = await file.createWritable();
      await w.write(new Uint8Array([1, 2, 3]));
      await w.close();
    }, leftover);
    expect(await opfsNames(other)).toEqual([...kept, leftover].sort());

    await other.goto("/");
    await hydrated(other);
    await expect.poll(() => opfsNames(other)).toEqual(kept);
    // The open tab's file still saves again.
    const again = open.waitForEvent("download");
    await new ReceivePage(open).saveAgain.click();
    expect(await sha256File(await (await again).path())).toBe(sha256Hex(bytes));
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

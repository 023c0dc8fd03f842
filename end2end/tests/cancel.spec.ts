// Cancel mid-transfer. A sender who cancels an upload stops every part in
// flight, leaves no share behind (the one begun is revoked) and keeps the
// chosen file, so a second send works. A recipient who cancels a download
// keeps nothing of it, is told whether the link opens again, and can open
// it again.
import { test, expect, Page, BrowserContext } from "@playwright/test";
import { manageStatus } from "./fixtures/api";
import { downloadNames, opfsNames, ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

const MIB = 1024 * 1024;

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

/** Slows the page's network to `bytesPerSec` each way, so that a transfer lasts. */
async function throttle(context: BrowserContext, page: Page, bytesPerSec: number) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 10,
    downloadThroughput: bytesPerSec,
    uploadThroughput: bytesPerSec,
  });
  return async () =>
    cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
}

test("a cancelled upload stops, revokes the share begun and keeps the file", async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const { file, sha256 } = randomFile(dir, "cancelled.bin", 80 * MIB);
    const page = await sender.newPage();
    const send = new SendPage(page);
    await send.goto();
    const unthrottle = await throttle(sender, page, 8 * MIB);

    await send.fileTab.click();
    await send.fileInput.setInputFiles(file);
    const created = page.waitForResponse(
      (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/v1/shares",
    );
    await send.send.click();
    const share = await (await created).json();
    // Some parts are stored, the rest are on their way.
    await expect(send.progress).toContainText(/[1-9][0-9.]* MiB of/, { timeout: 60_000 });
    const startedAfter: string[] = [];
    await send.cancel.press("Enter");
    page.on("request", (r) => {
      if (r.url().includes("/parts/")) startedAfter.push(r.url());
    });

    await expect(send.error).toHaveText(
      "Sending cancelled. Nothing was shared, and what you chose is still here.",
    );
    await expect(send.cancel).toHaveCount(0);
    // The keyboard is back on the Send button.
    await expect(send.send).toBeFocused();
    await expect(send.progress).toHaveCount(0);
    await expect(send.shareLink).toHaveCount(0);
    // The share begun is revoked with its manage token: nothing is left to open.
    await expect
      .poll(async () => (await manageStatus(origin(baseURL), { id: share.id, manageToken: share.manage_token })).state)
      .toBe("revoked");
    await page.waitForTimeout(1_000);
    expect(startedAfter).toEqual([]);

    // The file is still chosen: sending again needs one click.
    await expect(send.fileEntries).toHaveCount(1);
    await unthrottle();
    await send.send.click();
    const links = await send.links(120_000);
    expect(links.id).not.toBe(share.id);

    const rpage = await recipient.newPage();
    const receive = new ReceivePage(rpage);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    expect(await sha256File(await saved.path())).toBe(sha256);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

test("a cancelled download keeps nothing and the link opens again while it allows", async ({ browser }) => {
  test.setTimeout(180_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const { file, sha256 } = randomFile(dir, "stopped.bin", 48 * MIB);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file, { downloads: 2 }, 120_000);

    const page = await recipient.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const unthrottle = await throttle(recipient, page, 8 * MIB);
    const downloads = downloadNames(page);
    const failed: string[] = [];
    recipient.on("requestfailed", (r) => failed.push(`${r.method()} ${new URL(r.url()).pathname} ${r.failure()?.errorText}`));
    await receive.revealWith();
    // Bytes are being opened and written when the recipient cancels.
    await expect(receive.progress).toContainText(/[1-9][0-9.]* MiB of/, { timeout: 60_000 });
    await receive.cancel.click();

    await receive.expectState("cancelled");
    await expect(receive.state).toContainText("Download cancelled");
    await expect(receive.state).toContainText("The link allows more downloads");
    await expect(receive.state).toBeFocused();
    // Nothing of the file is kept: no download, no decrypted bytes on disk.
    await expect.poll(() => opfsNames(page)).toEqual([]);
    expect(downloads).toEqual([]);
    // The body being read was cancelled: the browser stopped receiving it.
    await expect.poll(() => failed).toEqual([`GET /api/v1/shares/${links.id}/blob net::ERR_ABORTED`]);

    // The link opens again: one download was used, one is left.
    await unthrottle();
    const again = await recipient.newPage();
    const reopened = new ReceivePage(again);
    await reopened.open(links.share);
    await expect(reopened.downloadsLeft).toHaveText("1");
    const saved = await reopened.revealDownload();
    expect(await sha256File(await saved.path())).toBe(sha256);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

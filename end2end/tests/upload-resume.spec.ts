// A network drop in the middle of an upload pauses it; when the network is
// back the failed part is sent again and the share completes intact.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

test("an upload interrupted by a network drop resumes and completes", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    // Ten parts: when the network drops, some are yet to start, whatever
    // number of parts the page keeps in flight.
    const { file, sha256 } = randomFile(dir, "resumed.bin", 80 * 1024 * 1024);
    const page = await sender.newPage();
    const send = new SendPage(page);
    await send.goto();

    const failedParts: string[] = [];
    page.on("requestfailed", (r) => {
      if (r.url().includes("/parts/")) failedParts.push(r.url());
    });
    // Slow the upload down so that the drop lands in the middle of it.
    const cdp = await sender.newCDPSession(page);
    await cdp.send("Network.enable");
    const throttle = { latency: 20, downloadThroughput: -1, uploadThroughput: 8 * 1024 * 1024 };
    await cdp.send("Network.emulateNetworkConditions", { offline: false, ...throttle });

    await send.fileTab.click();
    await send.fileInput.setInputFiles(file);
    await send.send.click();
    // Wait until at least one part is stored, then cut the network.
    await expect(send.progress).toContainText(/[1-9][0-9.]* MiB of/, { timeout: 60_000 });
    await cdp.send("Network.emulateNetworkConditions", { offline: true, ...throttle });
    await expect(send.progress).toContainText("retrying", { timeout: 30_000 });
    await page.waitForTimeout(2_000);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const links = await send.links(120_000);
    expect(failedParts.length).toBeGreaterThan(0);

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

// A download that breaks off in the middle: the page resumes it with a
// Range request on the same ticket, and the saved file is still intact.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

test("a download that breaks off resumes and saves the whole file", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const { file, sha256 } = randomFile(dir, "resumed-download.bin", 40 * 1024 * 1024);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file);

    const page = await recipient.newPage();
    const ranged: string[] = [];
    page.on("request", (r) => {
      const range = r.headers()["range"];
      if (r.url().endsWith("/blob") && range) ranged.push(range);
    });
    // The first blob response breaks off after 5 MiB, as a dropped
    // connection does (the announced length is never reached).
    let cut = false;
    await page.route("**/api/v1/shares/*/blob", async (route) => {
      if (cut || route.request().method() !== "GET") return route.continue();
      cut = true;
      const real = await route.fetch();
      const body = await real.body();
      await route.fulfill({
        status: 200,
        headers: { ...real.headers(), "content-length": String(body.length) },
        body: body.subarray(0, 5 * 1024 * 1024),
      });
    });
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload(undefined, 180_000);
    await expect(receive.saved).toBeVisible();
    expect(ranged.length).toBeGreaterThan(0);
    expect(ranged[0]).toMatch(/^bytes=[1-9][0-9]*-$/);
    expect(await sha256File(await saved.path())).toBe(sha256);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

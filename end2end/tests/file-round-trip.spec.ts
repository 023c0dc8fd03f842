// A 50 MiB random file goes up in 8 MiB parts and comes back byte-identical,
// sealed and opened by the pages' workers.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

test("a 50 MiB random file round trips byte-identical", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const { file, sha256 } = randomFile(dir, "random-50MiB.bin", 50 * 1024 * 1024);
    // The workers' script is fetched on both sides, and no page falls back
    // to doing the work on its main thread.
    let workerScripts = 0;
    const fellBack: string[] = [];
    for (const ctx of [sender, recipient]) {
      ctx.on("request", (r) => {
        if (new URL(r.url()).pathname === "/crypt-worker.js") workerScripts += 1;
      });
      ctx.on("console", (m) => {
        if (m.text().includes("on the main thread")) fellBack.push(m.text());
      });
    }
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file);
    const sendingScripts = workerScripts;
    expect(sendingScripts).toBeGreaterThan(0);

    const page = await recipient.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await expect(receive.size).toHaveText("50 MiB");
    const saved = await receive.revealDownload(undefined, 180_000);
    expect(saved.suggestedFilename()).toBe("random-50MiB.bin");
    await expect(receive.saved).toBeVisible();
    const savedPath = await saved.path();
    expect(await sha256File(savedPath)).toBe(sha256);
    expect(workerScripts).toBeGreaterThan(sendingScripts);
    expect(fellBack).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

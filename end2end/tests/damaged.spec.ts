// Ciphertext altered on the server's disk: the page says "damaged" and
// keeps nothing, neither a download nor a partial file in the private
// file system.
import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { downloadNames, opfsNames, ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, removeDir, tempDir } from "./fixtures/files";
import { expectAnnounced } from "./fixtures/a11y";

const dataDir = process.env.OTS_DATA_DIR;

test("a ciphertext altered on disk shows damaged and saves nothing", async ({ browser }) => {
  test.skip(!dataDir, "OTS_DATA_DIR is not set: run through scripts/e2e.sh");
  test.setTimeout(180_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    // 12 MiB: two parts, and more than one 4 MiB write before the bad record.
    const { file } = randomFile(dir, "to-be-damaged.bin", 12 * 1024 * 1024);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareFile(file);

    // Parts live at {data_dir}/parts/{id}/{index} (server/src/blobs.rs).
    const part = path.join(dataDir!, "parts", links.id, "1");
    expect(fs.existsSync(part), part).toBeTruthy();
    const fd = fs.openSync(part, "r+");
    try {
      const at = 1024 * 1024;
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, at);
      byte[0] ^= 0x01;
      fs.writeSync(fd, byte, 0, 1, at);
    } finally {
      fs.closeSync(fd);
    }

    const page = await recipient.newPage();
    const downloads = downloadNames(page);
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await receive.revealWith();
    await receive.expectState("damaged");
    await expectAnnounced(
      receive.state,
      "It did not decrypt: the share is damaged or the key is wrong. Nothing was saved; check the key, or ask the sender to share it again.",
    );
    await page.waitForTimeout(500);
    expect(downloads).toEqual([]);
    expect(await opfsNames(page)).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

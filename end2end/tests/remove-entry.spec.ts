// A chosen file can be removed from the list before sending: the total
// follows, and the archive holds only the files still listed.
import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { readZip, removeDir, sha256Hex, tempDir } from "./fixtures/files";

test("a removed file is not sent", async ({ browser }) => {
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const files = ["keep-1.txt", "drop-me.txt", "keep-2.txt"].map((name, i) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `${name}\n`.repeat(100 * (i + 1)));
      return file;
    });
    const send = new SendPage(await sender.newPage());
    await send.goto();
    await send.chooseFiles(files);
    await expect(send.fileEntries).toHaveCount(3);
    await expect(send.fileChosen).toHaveText("3 files · 6.6 KiB in all");

    await send.removeFile("drop-me.txt");
    await expect(send.fileEntries).toHaveCount(2);
    await expect(send.fileEntry("drop-me.txt")).toHaveCount(0);
    await expect(send.fileChosen).toHaveText("2 files · 4.3 KiB in all");
    await send.send.click();
    const links = await send.links();

    const page = await recipient.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    const entries = readZip(await saved.path());
    expect(entries.map((e) => e.name)).toEqual(["keep-1.txt", "keep-2.txt"]);
    expect(entries[1].sha256).toBe(sha256Hex(fs.readFileSync(files[2])));
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

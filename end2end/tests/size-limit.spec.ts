// The send page shows the server's size limit and refuses a larger file
// before anything is sent.
import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { SendPage } from "./fixtures/pages";
import { removeDir, tempDir } from "./fixtures/files";

test("the size limit is shown and a larger file is refused before sending", async ({ page }) => {
  const send = new SendPage(page);
  await send.goto();
  const limit = await page.evaluate(
    () => document.querySelector('meta[name="ots-max-share-bytes"]')?.getAttribute("content") ?? null,
  );
  expect(limit, "the server writes its limit into the page").not.toBeNull();
  const maxBytes = Number(limit);
  await expect(send.sizeLimit).toContainText(/^Up to .+ per share\.$/);

  const dir = tempDir();
  try {
    // A sparse file one MiB over the limit: nothing is read to refuse it.
    const file = path.join(dir, "too-big.bin");
    const fd = fs.openSync(file, "w");
    fs.ftruncateSync(fd, maxBytes + 1024 * 1024);
    fs.closeSync(fd);
    const creates: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/v1/shares")) creates.push(r.url());
    });
    await send.fileTab.click();
    await send.fileInput.setInputFiles(file);
    await send.send.click();
    await expect(send.error).toContainText("the server accepts up to");
    await page.waitForTimeout(300);
    expect(creates).toEqual([]);
  } finally {
    removeDir(dir);
  }
});

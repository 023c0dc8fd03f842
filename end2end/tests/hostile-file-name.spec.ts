// A sealed file name is attacker-controlled: it must round trip as inert
// text, never be rendered as markup, previewed, or opened.
import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { sha256Hex } from "./fixtures/files";

test("a file named <svg onload=alert(1)>.html round trips inert", async ({ browser }) => {
  const name = "<svg onload=alert(1)>.html";
  const content = Buffer.from(`<svg onload=alert(2)></svg><script>alert(3)</script><img src=x onerror=alert(4)>`);
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  const dialogs: string[] = [];
  for (const ctx of [sender, recipient]) {
    ctx.on("page", (p) => p.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    }));
  }
  try {
    const spage = await sender.newPage();
    spage.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const send = new SendPage(spage);
    await send.goto();
    await send.fileTab.click();
    await send.fileInput.setInputFiles({ name, mimeType: "text/html", buffer: content });
    await expect(send.fileChosen).toContainText(name);
    await send.send.click();
    const links = await send.links();

    const page = await recipient.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();

    // Shown as text, never as an element.
    await expect(receive.savedName).toHaveText("_svg onload=alert(1)_.html");
    expect(await page.locator("#saved svg, #saved img, #saved script, #saved iframe").count()).toBe(0);
    expect(saved.suggestedFilename()).not.toMatch(/[<>]/);
    expect(sha256Hex(fs.readFileSync(await saved.path()))).toBe(sha256Hex(content));
    // The page did not navigate to the file or open it in a tab.
    expect(new URL(page.url()).pathname).toBe(`/s/${links.id}`);
    expect(recipient.pages()).toHaveLength(1);
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

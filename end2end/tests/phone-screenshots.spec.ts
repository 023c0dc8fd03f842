// Phone-sized screenshots of every page and state, kept under
// end2end/artifacts/ for people to look at (light and dark).
import { test, expect, Browser, Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ManagePage, ReceivePage, SendPage } from "./fixtures/pages";
import { artifactsDir } from "./fixtures/files";

const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  acceptDownloads: true,
};

async function shot(page: Page, name: string) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}

async function everyPage(browser: Browser, scheme: "light" | "dark") {
  const ctx = await browser.newContext({ ...phone, colorScheme: scheme });
  try {
    const page = await ctx.newPage();
    // No horizontal scrolling on a phone.
    const fits = async () =>
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBeTruthy();

    const send = new SendPage(page);
    await send.goto();
    await send.password.fill("hunter2");
    await shot(page, `phone-${scheme}-send`);
    await fits();
    await send.password.fill("");
    const links = await send.shareText("A phone-sized secret", { downloads: 2 });
    await expect(send.qr).toBeVisible();
    await shot(page, `phone-${scheme}-sent`);
    await fits();

    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await shot(page, `phone-${scheme}-receive`);
    await fits();
    await receive.revealText();
    await shot(page, `phone-${scheme}-revealed`);
    await fits();

    const manage = new ManagePage(page);
    await manage.open(links.manage);
    await manage.revoke.click();
    await shot(page, `phone-${scheme}-manage`);
    await fits();
    await manage.confirm.click();
    await expect(manage.state).toHaveAttribute("data-state", "revoked");

    await receive.open(links.share);
    await receive.expectState("revoked");
    await shot(page, `phone-${scheme}-revoked`);
    await fits();

    // The file side: the drop zone with a chosen file, then the saved card.
    await send.goto();
    await send.fileTab.click();
    await send.fileInput.setInputFiles({
      name: "quarterly report with a rather long name.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.alloc(300 * 1024, 7),
    });
    await shot(page, `phone-${scheme}-send-file`);
    await fits();
    await send.send.click();
    const fileLinks = await send.links();
    await receive.open(fileLinks.share);
    const download = page.waitForEvent("download");
    await receive.revealWith();
    await download;
    await expect(receive.saved).toBeVisible();
    await shot(page, `phone-${scheme}-saved`);
    await fits();
  } finally {
    await ctx.close();
  }
}

test("phone screenshots of every page, light", async ({ browser }) => {
  await everyPage(browser, "light");
});

test("phone screenshots of every page, dark", async ({ browser }) => {
  await everyPage(browser, "dark");
});

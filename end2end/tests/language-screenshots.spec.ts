// Screenshots of the send and receive pages in German and in Arabic (right
// to left), on a phone and on a desktop, kept under end2end/artifacts/ for
// people to look at; neither scrolls sideways.
import { test, expect, Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { artifactsDir } from "./fixtures/files";
import { ReceivePage, SendPage } from "./fixtures/pages";

const DEVICES = {
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 900 } },
} as const;

async function shot(page: Page, name: string) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBeTruthy();
}

for (const [code, locale] of [
  ["de", "de-DE"],
  ["ar", "ar-EG"],
] as const) {
  for (const [device, options] of Object.entries(DEVICES)) {
    test(`${code} on a ${device}: send, sent, receive, revealed`, async ({ browser }) => {
      const ctx = await browser.newContext({ ...options, locale, acceptDownloads: true });
      try {
        const page = await ctx.newPage();
        const send = new SendPage(page);
        await send.goto();
        await expect(page.locator("html")).toHaveAttribute("lang", code);
        await send.text.fill("DATABASE_URL=postgres://app:s3cret@db/app");
        await send.password.fill("hunter2");
        await shot(page, `lang-${code}-${device}-send`);
        await send.password.fill("");
        await send.chooseFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.alloc(150_000) }]);
        await shot(page, `lang-${code}-${device}-send-file`);
        const links = await send.shareText("DATABASE_URL=postgres://app:s3cret@db/app", { downloads: 2 });
        await expect(send.qr).toBeVisible();
        await shot(page, `lang-${code}-${device}-sent`);
        const receive = new ReceivePage(page);
        await receive.open(links.share);
        await shot(page, `lang-${code}-${device}-receive`);
        await receive.revealText();
        await shot(page, `lang-${code}-${device}-revealed`);
      } finally {
        await ctx.close();
      }
    });
  }
}

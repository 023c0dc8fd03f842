// The page speaks the reader's language: picked from the browser's
// Accept-Language, overridden by ?lang= (no cookie, no storage), switched in
// place without losing a receive link's key; <html lang dir> follow, the
// layout mirrors right to left, and numbers are written the language's way.
import { test, expect, Page } from "@playwright/test";
import { textShare } from "./fixtures/api";
import { LANGUAGES, say } from "./fixtures/catalogs";
import { hydrated, ReceivePage, SendPage } from "./fixtures/pages";
import { startServer } from "./fixtures/server";

const FOOTER =
  "End-to-end encrypted in your browser. The key is in the part of the link after #, which never reaches the server.";

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

async function expectLanguage(page: Page, code: "en" | "de" | "ar", dir: string) {
  await expect(page.locator("html")).toHaveAttribute("lang", code);
  await expect(page.locator("html")).toHaveAttribute("dir", dir);
  await expect(page.locator("footer.foot p").first()).toHaveText(say(code, FOOTER));
  await expect(page.locator(`#lang-${code}`)).toHaveAttribute("aria-current", "true");
}

for (const { code, browser, dir } of LANGUAGES) {
  test(`a browser set to ${browser} gets the page in ${code}, rendered so by the server`, async ({ browser: b }) => {
    const ctx = await b.newContext({ locale: browser });
    try {
      const page = await ctx.newPage();
      const response = await page.goto("/");
      // The server's HTML already speaks the language: no flash of English.
      const html = (await response!.text()).slice(0, 400);
      expect(html).toContain(`lang="${code}"`);
      expect(html).toContain(`dir="${dir}"`);
      await hydrated(page);
      await expectLanguage(page, code, dir);
    } finally {
      await ctx.close();
    }
  });
}

test("a language the app does not have falls back to English", async ({ browser }) => {
  const ctx = await browser.newContext({ locale: "fr-FR" });
  try {
    const page = await ctx.newPage();
    await page.goto("/");
    await hydrated(page);
    await expectLanguage(page, "en", "ltr");
  } finally {
    await ctx.close();
  }
});

test("?lang= overrides the browser's language and leaves no cookie or storage behind", async ({ browser }) => {
  const ctx = await browser.newContext({ locale: "de-DE" });
  try {
    const page = await ctx.newPage();
    await page.goto("/?lang=ar");
    await hydrated(page);
    await expectLanguage(page, "ar", "rtl");
    expect(await ctx.cookies()).toEqual([]);
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
  } finally {
    await ctx.close();
  }
});

test("right to left, the layout mirrors: the brand at the right, the languages at the left", async ({ page }) => {
  await page.goto("/?lang=ar");
  await hydrated(page);
  expect(await page.evaluate(() => getComputedStyle(document.body).direction)).toBe("rtl");
  const brand = (await page.locator(".brand").boundingBox())!;
  const languages = (await page.locator("nav.languages").boundingBox())!;
  expect(brand.x).toBeGreaterThan(languages.x);
  await page.goto("/?lang=de");
  await hydrated(page);
  const brandLtr = (await page.locator(".brand").boundingBox())!;
  const languagesLtr = (await page.locator("nav.languages").boundingBox())!;
  expect(brandLtr.x).toBeLessThan(languagesLtr.x);
});

test("the switcher changes the language in place and keeps a receive link's key", async ({ page, baseURL }) => {
  const share = await textShare(origin(baseURL));
  const receive = new ReceivePage(page);
  await receive.open(share.share);
  await expectLanguage(page, "en", "ltr");
  // Gone if the page reloaded.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.locator("#lang-de").click();
  await expectLanguage(page, "de", "ltr");
  await page.locator("#lang-ar").click();
  await expectLanguage(page, "ar", "rtl");
  expect(new URL(page.url()).searchParams.get("lang")).toBe("ar");
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  // The key was only in memory: revealing still works.
  expect(await receive.revealText()).toBe(share.text);
});

test("a text sent in Arabic is read in German", async ({ browser }) => {
  const ctx = await browser.newContext({ locale: "ar-EG" });
  const other = await browser.newContext({ locale: "de-DE" });
  try {
    const send = new SendPage(await ctx.newPage());
    await send.goto();
    const text = `from ar to de ${crypto.randomUUID()}`;
    const links = await send.shareText(text);
    const page = await other.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await expectLanguage(page, "de", "ltr");
    expect(await receive.revealText()).toBe(text);
  } finally {
    await ctx.close();
    await other.close();
  }
});

test("sizes are written as each language writes numbers", async ({ browser }) => {
  for (const [locale, shown] of [
    ["en-US", "1.5 KiB"],
    ["de-DE", "1,5 KiB"],
    // Isolated left to right, so that it does not read "KiB 1.5" in Arabic.
    ["ar-EG", "\u20661.5 KiB\u2069"],
  ]) {
    const ctx = await browser.newContext({ locale });
    try {
      const send = new SendPage(await ctx.newPage());
      await send.goto();
      await send.chooseFiles([{ name: "n.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(1536) }]);
      await expect(send.fileEntries.locator(".file-size")).toHaveText(shown);
    } finally {
      await ctx.close();
    }
  }
});

test("the operator's footer links follow the switcher too", async ({ page }) => {
  const server = await startServer({
    OTS_IMPRINT_URL: "https://example.org/imprint",
    OTS_PRIVACY_URL: "https://example.org/privacy",
  });
  try {
    await page.goto(`${server.baseURL}/`);
    await hydrated(page);
    await expect(page.locator("#footer-imprint")).toHaveText("Imprint");
    await page.locator("#lang-de").click();
    await expectLanguage(page, "de", "ltr");
    await expect(page.locator("#footer-imprint")).toHaveText(say("de", "Imprint"));
    await expect(page.locator("#footer-privacy")).toHaveText(say("de", "Privacy"));
    await expect(page.locator("nav.foot-links")).toHaveAttribute("aria-label", say("de", "About this server"));
  } finally {
    await server.stop();
  }
});

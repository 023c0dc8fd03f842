// Reflow (WCAG 1.4.10): at 320 CSS px wide, what a 1280 px screen shows at
// 400% zoom, and at 640 px, the same screen at 200%, the send, receive and
// manage pages scroll only up and down, never sideways.
import { test, expect, Page } from "@playwright/test";
import { createShare } from "./fixtures/api";
import { ManagePage, ReceivePage, SendPage } from "./fixtures/pages";

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

/** Expects no horizontal scroll: the page is no wider than the window. */
async function expectNoSidewaysScroll(page: Page, what: string) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, `${what}: page width ${scroll} px in a window of ${client} px`).toBeLessThanOrEqual(client);
}

for (const width of [320, 640]) {
  test(`no sideways scroll at ${width} px: send, receive, manage`, async ({ page, baseURL }) => {
    await page.setViewportSize({ width, height: 720 });
    const send = new SendPage(page);
    await send.goto();
    await expectNoSidewaysScroll(page, "the send page");
    await send.generateTab.click();
    await expectNoSidewaysScroll(page, "the generate tab");
    await send.chooseFiles([
      { name: "a-rather-long-file-name-without-any-space-in-it-at-all.txt", mimeType: "text/plain", buffer: Buffer.from("narrow") },
    ]);
    await expect(send.fileChosen).not.toHaveText("No file chosen");
    await expectNoSidewaysScroll(page, "the send page with a file");
    await send.send.click();
    const links = await send.links();
    await expectNoSidewaysScroll(page, "the links shown");

    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await expectNoSidewaysScroll(page, "the receive page");

    const text = "narrow ".repeat(40);
    const share = await createShare(origin(baseURL), Buffer.from(text), {
      kind: "text",
      name: "",
      type: "text/plain",
      size: text.length,
    });
    await receive.open(share.share);
    await receive.revealText();
    await expectNoSidewaysScroll(page, "the revealed text");
    await receive.open(share.share);
    await receive.expectState("consumed");
    await expectNoSidewaysScroll(page, "a share opened already");

    const manage = new ManagePage(page);
    await manage.open(links.manage);
    await expectNoSidewaysScroll(page, "the manage page");
  });
}

// A text sent in one browser opens in another; opening it again says so.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";

test("a text round trips between two browser contexts, then reads as already opened", async ({ browser }) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  const later = await browser.newContext();
  try {
    const secret = `db password: ${crypto.randomUUID()}\nsecond line ✓`;
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(secret);
    expect(links.share).toMatch(/\/s\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$/);
    await expect(send.qr).toBeVisible();
    await expect(send.expiresAt).not.toBeEmpty();
    // The Copy button puts the whole link, key included, on the clipboard.
    await sender.grantPermissions(["clipboard-read", "clipboard-write"]);
    await send.page.locator("#copy-share").click();
    await expect(send.page.locator("#copy-share")).toHaveText("Copied");
    expect(await send.page.evaluate(() => navigator.clipboard.readText())).toBe(links.share);

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    await expect(receive.downloadsLeft).toHaveText("1");
    await expect(receive.passwordNeeded).toHaveText("Not needed");
    expect(await receive.revealText()).toBe(secret);

    const again = new ReceivePage(await later.newPage());
    await again.open(links.share);
    await again.expectState("consumed");
    await expect(again.state).toContainText("Already opened");
  } finally {
    await Promise.all([sender.close(), recipient.close(), later.close()]);
  }
});

// The receive and manage pages take the key (or manage token) out of the
// address bar and history once they have read it, and keep it in memory
// only. The share still opens; a reload then says the link was already
// opened in this tab, and the tab's storage holds the share id at most,
// never the key.
import { test, expect, Page } from "@playwright/test";
import { ManagePage, ReceivePage, SendPage } from "./fixtures/pages";

/** Everything the tab keeps across a reload, as text. */
async function tabStorage(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
}

test("after the receive page loads the fragment is gone, the share opens, a reload says opened in this tab", async ({
  browser,
}) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const secret = `no trace ${crypto.randomUUID()}`;
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(secret);

    const page = await recipient.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await expect(receive.info).toBeVisible();
    expect(await page.evaluate(() => location.hash)).toBe("");
    expect(page.url()).toBe(links.share.split("#")[0]);
    expect(await tabStorage(page)).not.toContain(links.fragment);
    // No key field: the page holds the key it read.
    await expect(receive.key).toHaveCount(0);
    expect(await receive.revealText()).toBe(secret);

    await page.reload();
    await receive.expectState("opened-in-tab");
    await expect(receive.state).toContainText("Already opened in this tab");
    expect(page.url()).not.toContain("#");
    expect(await tabStorage(page)).not.toContain(links.fragment);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("a reload before revealing says opened in this tab and can still take the key", async ({ browser }) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const secret = `reloaded ${crypto.randomUUID()}`;
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(secret);

    const page = await recipient.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await page.reload();
    await receive.expectState("opened-in-tab");
    await receive.enterKey.click();
    await receive.revealWithKey(links.fragment);
    await expect(receive.secret).toHaveValue(secret, { timeout: 60_000 });
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("the manage page drops its token from the address bar and says opened in this tab on reload", async ({
  browser,
}) => {
  const sender = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(`managed ${crypto.randomUUID()}`);
    const token = new URL(links.manage).hash.slice(1);

    const page = await sender.newPage();
    const manage = new ManagePage(page);
    await manage.open(links.manage);
    expect(await page.evaluate(() => location.hash)).toBe("");
    expect(await tabStorage(page)).not.toContain(token);
    // The token in memory still works: the page keeps looking and can revoke.
    await manage.revoke.click();
    await manage.confirm.click();
    await expect(manage.state).toHaveAttribute("data-state", "revoked");

    await page.reload();
    await expect(manage.failure).toHaveAttribute("data-state", "opened-in-tab");
    expect(await tabStorage(page)).not.toContain(token);
  } finally {
    await sender.close();
  }
});

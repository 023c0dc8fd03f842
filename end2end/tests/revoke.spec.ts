// Revoking from the manage page makes the share link answer "revoked".
import { test, expect } from "@playwright/test";
import { ManagePage, ReceivePage, SendPage } from "./fixtures/pages";

test("revoking from the manage page makes the link answer revoked", async ({ browser }) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(`revoke me ${crypto.randomUUID()}`, { downloads: 3 });

    const manage = new ManagePage(await sender.newPage());
    await manage.open(links.manage);
    await expect(manage.state).toHaveAttribute("data-state", "ready");
    await expect(manage.downloadsLeft).toHaveText("3");
    await expect(manage.failed).toHaveText("0");

    // The first click only asks; cancel keeps the share.
    await manage.revoke.click();
    await manage.cancel.click();
    await expect(manage.state).toHaveAttribute("data-state", "ready");

    await manage.revoke.click();
    await manage.confirm.click();
    await expect(manage.state).toHaveAttribute("data-state", "revoked");
    await expect(manage.revoke).toHaveCount(0);

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    await receive.expectState("revoked");
    await expect(receive.state).toContainText("revoked");
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("the manage page lists downloads and wrong passwords", async ({ browser }) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText("counted", { password: "right password", downloads: 2 });

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    await receive.revealWith("wrong password");
    await expect(receive.attemptsLeft).toBeVisible({ timeout: 60_000 });
    expect(await receive.revealText("right password")).toBe("counted");

    const manage = new ManagePage(await sender.newPage());
    await manage.open(links.manage);
    await expect(manage.failed).toHaveText("1");
    await expect(manage.downloadsLeft).toHaveText("1");
    await expect(manage.downloads.locator("li")).toHaveCount(1);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

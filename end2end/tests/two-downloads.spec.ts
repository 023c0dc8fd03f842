// A share allowing two downloads opens twice, then is gone.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";

test("a 2-download share opens twice, then is gone", async ({ browser }) => {
  const sender = await browser.newContext();
  try {
    const secret = `twice ${crypto.randomUUID()}`;
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(secret, { downloads: 2 });

    for (const left of ["2", "1"]) {
      const ctx = await browser.newContext();
      const receive = new ReceivePage(await ctx.newPage());
      await receive.open(links.share);
      await expect(receive.downloadsLeft).toHaveText(left);
      expect(await receive.revealText()).toBe(secret);
      await ctx.close();
    }

    const ctx = await browser.newContext();
    const third = new ReceivePage(await ctx.newPage());
    await third.open(links.share);
    await third.expectState("consumed");
    await ctx.close();
  } finally {
    await sender.close();
  }
});

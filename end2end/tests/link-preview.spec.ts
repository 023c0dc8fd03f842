// A link preview or scanner that fetches `/s/{id}` (no scripts) burns nothing.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";

test("fetching the share page without running scripts does not consume the share", async ({ browser, request }) => {
  const sender = await browser.newContext();
  const noScripts = await browser.newContext({ javaScriptEnabled: false });
  const recipient = await browser.newContext();
  try {
    const secret = `still here ${crypto.randomUUID()}`;
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(secret);

    // A crawler: plain HTTP, and with the fragment as some bots send it.
    for (const url of [`/s/${links.id}`, links.share]) {
      const res = await request.get(url);
      expect(res.status()).toBe(200);
      expect(await res.text()).toContain("needs JavaScript");
    }
    // A browser with scripts off renders the page fully.
    const preview = await noScripts.newPage();
    await preview.goto(links.share);
    await expect(preview.locator("#loading")).toContainText("needs JavaScript");

    const info = await request.get(`/api/v1/shares/${links.id}`);
    expect(info.status()).toBe(200);
    expect((await info.json()).downloads_left).toBe(1);

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    expect(await receive.revealText()).toBe(secret);
  } finally {
    await Promise.all([sender.close(), noScripts.close(), recipient.close()]);
  }
});

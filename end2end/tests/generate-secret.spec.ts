// The "Generate" mode makes a random secret (length and characters
// chosen by the sender), shares it as a text and shows it for copying: the
// sender never types it.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";

test("a generated secret round trips as a text", async ({ browser }) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    // Opening the tab makes one at once: 32 letters and digits.
    const first = await send.generateSecret();
    expect(first).toMatch(/^[A-Za-z0-9]{32}$/);
    await expect(send.genHint).toContainText("32 characters from 62: about 190 bits");

    const hex = await send.generateSecret({ alphabet: "hex", length: 40 });
    expect(hex).toMatch(/^[0-9a-f]{40}$/);
    await expect(send.genHint).toContainText("40 characters from 16: about 160 bits");
    const pin = await send.generateSecret({ alphabet: "digits", length: 3 });
    // Shorter than the shortest allowed: the page keeps to 8.
    expect(pin).toMatch(/^[0-9]{8}$/);
    await expect(send.genLength).toHaveValue("8");
    const symbols = await send.generateSecret({ alphabet: "symbols", length: 64 });
    expect(symbols).toMatch(/^[!-~]{64}$/);
    await send.genAgain.click();
    await expect(send.genSecret).not.toHaveValue(symbols);
    const secret = await send.genSecret.inputValue();
    expect(secret).toMatch(/^[!-~]{64}$/);

    await send.send.click();
    const links = await send.links();
    // Shown beside the links, for the sender to copy.
    await expect(send.generatedSecret).toHaveValue(secret);

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    expect(await receive.revealText()).toBe(secret);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

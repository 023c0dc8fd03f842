// "Generate" beside the password fills a passphrase of six words from the
// EFF long word list the site ships, shows it for copying, and that
// passphrase opens the share in another browser.
import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ReceivePage, SendPage } from "./fixtures/pages";

const wordList = new Set(
  fs
    .readFileSync(path.resolve(__dirname, "..", "..", "public", "eff_large_wordlist.txt"), "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split("\t")[1]),
);

test("a generated passphrase opens the share in a second browser context", async ({ browser }) => {
  test.setTimeout(180_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    expect(wordList.size).toBe(7776);
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const phrase = await send.generatePassphrase();
    const words = phrase.split("-");
    expect(words).toHaveLength(6);
    for (const w of words) expect(wordList.has(w), w).toBeTruthy();
    // The password field holds it, and the page says what it is worth.
    await expect(send.password).toHaveValue(phrase);
    await expect(send.strength).toHaveClass(/strong/);
    await expect(send.page.locator("#passphrase-box")).toContainText("6 words from the EFF list of 7,776: about 77 bits");
    // Another click makes another passphrase.
    const second = await send.generatePassphrase();
    expect(second).not.toBe(phrase);
    await expect(send.password).toHaveValue(second);

    const secret = `opened with a generated passphrase ${crypto.randomUUID()}`;
    await send.textTab.click();
    await send.text.fill(secret);
    await send.send.click();
    const links = await send.links();

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    await expect(receive.passwordNeeded).toHaveText("Required");
    expect(await receive.revealText(second)).toBe(secret);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

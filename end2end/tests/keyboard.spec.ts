// Keyboard only: a file is sent and revealed, and a text behind a password
// is revealed after a wrong try, with Tab, Shift+Tab, Enter, Space and typed
// characters; never a click. Focus is visible wherever it goes, moves to
// what each step led to, and refusals are announced.
import { test, expect, Page } from "@playwright/test";
import { tabTo, focusRing } from "./fixtures/a11y";
import { hydrated, ReceivePage, SendPage } from "./fixtures/pages";

async function expectFocusedAndVisible(page: Page, id: string) {
  await expect(page.locator(`#${id}`)).toBeFocused({ timeout: 60_000 });
  const ring = await focusRing(page);
  expect(ring.visible, `a visible focus ring on #${id} (${ring.outline}; ${ring.shadow})`).toBe(true);
}

test("a file is sent and revealed with the keyboard alone", async ({ browser }) => {
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  try {
    const page = await sender.newPage();
    const send = new SendPage(page);
    await send.goto();
    await tabTo(page, "tab-file");
    await page.keyboard.press("Enter");
    await expect(send.fileInput).toBeAttached();
    await expect(page.locator("#file-panel")).toBeVisible();
    await tabTo(page, "file-input");
    // The operating system's file picker that Enter or Space opens cannot be
    // driven from a test: the file is set on the input the keyboard focused.
    await send.fileInput.setInputFiles({ name: "keys.txt", mimeType: "text/plain", buffer: Buffer.from("typed, never clicked") });
    await expect(send.fileChosen).toContainText("keys.txt");
    await tabTo(page, "send");
    // One step back and forth again: Shift+Tab moves the focus back.
    await tabTo(page, "key-apart", true);
    await tabTo(page, "send");
    await page.keyboard.press("Enter");
    await expectFocusedAndVisible(page, "sent");
    const links = await send.links();

    const rpage = await recipient.newPage();
    const receive = new ReceivePage(rpage);
    await receive.open(links.share);
    await tabTo(rpage, "reveal");
    const download = rpage.waitForEvent("download");
    await rpage.keyboard.press("Space");
    await expectFocusedAndVisible(rpage, "saved");
    expect((await download).suggestedFilename()).toBe("keys.txt");
    await expect(receive.savedName).toHaveText("keys.txt");
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("a wrong password is announced and the focus goes back to the field; the right one reveals the text", async ({ browser }) => {
  test.setTimeout(180_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const secret = `keyboard only ${crypto.randomUUID()}`;
    const page = await sender.newPage();
    await page.goto("/");
    await hydrated(page);
    await tabTo(page, "text-panel");
    await page.keyboard.type(secret);
    await tabTo(page, "password");
    await page.keyboard.type("correct horse battery staple");
    await tabTo(page, "send");
    await page.keyboard.press("Space");
    await expectFocusedAndVisible(page, "sent");
    const links = await new SendPage(page).links();

    const rpage = await recipient.newPage();
    const receive = new ReceivePage(rpage);
    await receive.open(links.share);
    await tabTo(rpage, "password");
    await rpage.keyboard.type("not the password");
    await rpage.keyboard.press("Enter");
    await expect(receive.attemptsLeft).toHaveText("Wrong password. 4 attempts left before the share locks; check the password and try again.", { timeout: 60_000 });
    await expect(receive.attemptsLeft).toHaveAttribute("role", "alert");
    await expectFocusedAndVisible(rpage, "password");
    await rpage.keyboard.type("correct horse battery staple");
    await rpage.keyboard.press("Enter");
    await expectFocusedAndVisible(rpage, "secret-text");
    await expect(receive.secret).toHaveValue(secret);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

// axe-core on every page and state a sender, a recipient or an operator
// meets, in the light and the dark theme: no violation of the WCAG 2.0, 2.1
// and 2.2 A and AA rules.
import { test, expect, Page } from "@playwright/test";
import { claimWithWrongPassword, revoke, textShare } from "./fixtures/api";
import AxeBuilder from "@axe-core/playwright";
import { expectAccessible, SCHEMES, WCAG_TAGS } from "./fixtures/a11y";
import { ConsolePage, startConsoleServer } from "./fixtures/console";
import { ManagePage, ReceivePage, SendPage } from "./fixtures/pages";
import { startServer } from "./fixtures/server";
import { LANGUAGES } from "./fixtures/catalogs";

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

/** A text share with a password, sent from the page (the API fixture seals none). */
async function passwordShare(page: Page) {
  const send = new SendPage(page);
  await send.goto();
  return send.shareText(`behind a password ${crypto.randomUUID()}`, { password: "correct horse battery staple" });
}

test("the check finds what it looks for: a planted image without text and grey on grey", async ({ page }) => {
  const send = new SendPage(page);
  await send.goto();
  await page.evaluate(() => {
    const main = document.querySelector("main")!;
    main.insertAdjacentHTML("beforeend", '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">');
    // Through the CSSOM: the page's CSP refuses style attributes.
    const faint = document.createElement("p");
    faint.textContent = "faint";
    faint.style.color = "#777";
    faint.style.background = "#888";
    main.append(faint);
  });
  const found = (await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze()).violations.map((v) => v.id);
  expect(found).toEqual(expect.arrayContaining(["image-alt", "color-contrast"]));
});

for (const { code, browser } of LANGUAGES) {
  for (const colorScheme of SCHEMES) {
    test.describe(`${code}, ${colorScheme} theme`, () => {
      test.use({ locale: browser });
      test.beforeEach(async ({ page }) => {
        await page.emulateMedia({ colorScheme });
      });

      test("send: empty, a file chosen, the links shown", async ({ page }) => {
        const send = new SendPage(page);
        await send.goto();
        await expectAccessible(page, "the empty send page");
        await send.generateTab.click();
        await expect(send.genSecret).not.toHaveValue("");
        await expectAccessible(page, "the generate tab");
        await send.chooseFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("axe") }]);
        await expect(send.fileEntries).not.toHaveCount(0);
        await expectAccessible(page, "the send page with a file chosen");
        await send.password.fill("correct horse battery staple");
        await send.generatePassphrase();
        await expectAccessible(page, "the send page with a passphrase");
        await send.send.click();
        await send.links();
        await expectAccessible(page, "the links shown");
        await page.locator("#send-another").click();
        await send.shareText("key apart", { keyApart: true });
        await expectAccessible(page, "the link and the key shown apart");
      });

      test("receive: before reveal, the revealed text, opened already", async ({ page, baseURL }) => {
        const share = await textShare(origin(baseURL));
        const receive = new ReceivePage(page);
        await receive.open(share.share);
        await expect(receive.info).toBeVisible();
        await expectAccessible(page, "the receive page before reveal");
        await receive.revealText();
        await expectAccessible(page, "the revealed text");
        await receive.open(share.share);
        await receive.expectState("consumed");
        await expectAccessible(page, "a share opened already");
      });

      test("receive: password asked, wrong password, locked", async ({ page, baseURL }) => {
        const links = await passwordShare(page);
        const receive = new ReceivePage(page);
        await receive.open(links.share);
        await expect(receive.password).toBeVisible();
        await expectAccessible(page, "the password asked");
        await receive.revealWith("not the password");
        await expect(receive.attemptsLeft).toBeVisible({ timeout: 60_000 });
        await expectAccessible(page, "a wrong password");
        // The other four wrong passwords through the API, not four Argon2id runs.
        for (let i = 0; i < 4; i++) await claimWithWrongPassword(origin(baseURL), links.id, links.fragment);
        await receive.open(links.share);
        await receive.expectState("locked");
        await expectAccessible(page, "a locked share");
      });

      test("receive: revoked, incomplete link, key asked", async ({ page, baseURL }) => {
        const share = await textShare(origin(baseURL));
        await revoke(origin(baseURL), share.id, share.manageToken);
        const receive = new ReceivePage(page);
        await receive.open(share.share);
        await receive.expectState("revoked");
        await expectAccessible(page, "a revoked share");

        const other = await textShare(origin(baseURL));
        await receive.open(other.share.replace(/#.*/, "#short"));
        await receive.expectState("bad-link");
        await expectAccessible(page, "an incomplete link");
        await receive.open(other.share.replace(/#.*/, ""));
        await expect(receive.key).toBeVisible();
        await receive.revealWithKey("not a key!");
        await expect(receive.keyError).toBeVisible();
        await expectAccessible(page, "a key asked for and refused");
      });

      test("receive: expired", async ({ page }) => {
        const server = await startServer({ OTS_MIN_EXPIRY_SECS: "1" });
        try {
          const share = await textShare(server.baseURL, undefined, { expiresIn: 1 });
          await page.waitForTimeout(2_000);
          const receive = new ReceivePage(page);
          await receive.open(share.share);
          await receive.expectState("expired");
          await expectAccessible(page, "an expired share");
        } finally {
          await server.stop();
        }
      });

      test("manage: a share's state, the revoke confirmation", async ({ page, baseURL }) => {
        const share = await textShare(origin(baseURL));
        const manage = new ManagePage(page);
        await manage.open(share.manage);
        await expect(manage.downloadsLeft).toBeVisible();
        await expectAccessible(page, "the manage page");
        await manage.revoke.click();
        await expect(manage.confirm).toBeVisible();
        await expectAccessible(page, "the revoke confirmation");
      });

      test("admin: the sign-in page and a refused sign-in", async ({ page }) => {
        const server = await startConsoleServer();
        try {
          const console = new ConsolePage(page, server.base);
          await console.goto();
          await expect(console.password).toBeVisible();
          await expectAccessible(page, "the console's sign-in");
          await console.signInWith("not the console password");
          await expect(console.loginError).toBeVisible();
          await expectAccessible(page, "a refused sign-in");
          await console.signInWith("operator console password");
          await expect(console.dashboard).toBeVisible();
          await expectAccessible(page, "the console's dashboard");
        } finally {
          await server.stop();
        }
      });
    });
  }
}

// Every state a recipient can meet says in one sentence what happened and
// what to do next, visible and announced (inside an alert or live region).
// Locked, a wrong password, damaged, removed by the operator, expired and a
// full server have their sentences checked in their own specs (password,
// damaged, admin-takedown, gone-reasons, storage-full); these are the rest.
import { test, expect } from "@playwright/test";
import { revoke, textShare } from "./fixtures/api";
import { expectAnnounced } from "./fixtures/a11y";
import { ReceivePage } from "./fixtures/pages";
import { startServer } from "./fixtures/server";
import { LANGUAGES, say } from "./fixtures/catalogs";

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

for (const { code, browser } of LANGUAGES) {
  test.describe(`in ${code}`, () => {
    test.use({ locale: browser });
    const t = (english: string) => say(code, english);

    test("opened already: the recipient is told to tell the sender", async ({ page, baseURL }) => {
      const share = await textShare(origin(baseURL));
      const receive = new ReceivePage(page);
      await receive.open(share.share);
      await receive.revealText();
      await receive.open(share.share);
      await receive.expectState("consumed");
      await expectAnnounced(
        receive.state,
        t("This share was already opened and is gone. If you did not open it, tell the sender."),
      );
    });

    test("revoked: the recipient is told to ask the sender", async ({ page, baseURL }) => {
      const share = await textShare(origin(baseURL));
      await revoke(origin(baseURL), share.id, share.manageToken);
      const receive = new ReceivePage(page);
      await receive.open(share.share);
      await receive.expectState("revoked");
      await expectAnnounced(
        receive.state,
        t("The sender revoked it, so it can no longer be opened. Ask the sender if you still need it."),
      );
    });

    test("an incomplete link: the recipient is told to check the whole link was copied", async ({ page, baseURL }) => {
      const share = await textShare(origin(baseURL));
      const receive = new ReceivePage(page);
      // The key cut short, as a link copied in part is.
      await receive.open(share.share.slice(0, -20));
      await receive.expectState("bad-link");
      await expectAnnounced(
        receive.state,
        t("The key after # is missing or malformed. Check that the whole link was copied, or ask the sender to send it again."),
      );
    });

    test("a wrong key typed: nothing was used up, check it and try again", async ({ page, baseURL }) => {
      const share = await textShare(origin(baseURL));
      const other = await textShare(origin(baseURL));
      const receive = new ReceivePage(page);
      await receive.open(share.share.replace(/#.*/, ""));
      await receive.revealWithKey(other.key);
      await expectAnnounced(
        receive.keyError,
        t("Wrong key: it does not fit this share. Nothing was used up; check the key and try again."),
      );
    });

    test("offline: the page says it waits for the connection, then opens the share once it is back", async ({
      page,
      baseURL,
    }) => {
      const share = await textShare(origin(baseURL));
      const receive = new ReceivePage(page);
      await receive.open(share.share);
      await page.context().setOffline(true);
      try {
        await receive.revealWith();
        await expectAnnounced(
          page.locator("#progress"),
          t("No connection to the server. Check your connection and keep this page open: it opens the share as soon as the connection is back."),
        );
      } finally {
        await page.context().setOffline(false);
      }
      await expect(receive.secret).toHaveValue(share.text, { timeout: 60_000 });
    });

    test("rate-limited: the page says it tries again by itself, then opens the share", async ({ page }) => {
      test.setTimeout(180_000);
      // A server that allows one claim a minute from an address.
      const server = await startServer({ OTS_RATE_CLAIM_PER_MIN: "1" });
      try {
        const first = await textShare(server.baseURL);
        const second = await textShare(server.baseURL);
        const receive = new ReceivePage(page);
        await receive.open(first.share);
        await receive.revealText();
        await receive.open(second.share);
        await receive.revealWith();
        await expectAnnounced(
          page.locator("#progress"),
          t("Too many requests from this address. Keep this page open: it tries again by itself in a moment."),
        );
        // The address's bucket fills again within a minute.
        await expect(receive.secret).toBeVisible({ timeout: 120_000 });
      } finally {
        await server.stop();
      }
    });
  });
}

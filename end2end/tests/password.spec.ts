// Passwords: wrong attempts are counted and shown; five wrong lock the share.
import { test, expect } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { expectAnnounced } from "./fixtures/a11y";

test("a wrong password twice shows attempts left, then the right one opens", async ({ browser }) => {
  test.setTimeout(180_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const secret = `behind a password ${crypto.randomUUID()}`;
    const send = new SendPage(await sender.newPage());
    await send.goto();
    await send.password.fill("correct horse battery staple");
    await expect(send.strength).toHaveClass(/strong/);
    const links = await send.shareText(secret, { password: "correct horse battery staple" });

    const rpage = await recipient.newPage();
    // Argon2id runs in the module worker, never on the page's main thread.
    const workers: string[] = [];
    const warnings: string[] = [];
    rpage.on("worker", (w) => workers.push(w.url()));
    rpage.on("console", (m) => {
      if (m.type() === "warning" || m.type() === "error") warnings.push(m.text());
    });
    const receive = new ReceivePage(rpage);
    await receive.open(links.share);
    await expect(receive.passwordNeeded).toHaveText("Required");
    await receive.revealWith("wrong one");
    await expect(receive.attemptsLeft).toContainText("4 attempts left", { timeout: 60_000 });
    await receive.revealWith("wrong two");
    await expect(receive.attemptsLeft).toContainText("3 attempts left", { timeout: 60_000 });
    expect(await receive.revealText("correct horse battery staple")).toBe(secret);
    expect(workers.filter((u) => u.endsWith("/argon2-worker.js"))).toHaveLength(3);
    expect(warnings.filter((w) => w.includes("Argon2id"))).toEqual([]);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("five wrong passwords lock the share for good", async ({ browser }) => {
  test.setTimeout(240_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText("never to be read", { password: "the real one", downloads: 3 });

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    for (let left = 4; left >= 1; left--) {
      await receive.revealWith(`guess ${left}`);
      await expectAnnounced(
        receive.attemptsLeft,
        `Wrong password. ${left} attempt${left === 1 ? "" : "s"} left before the share locks; check the password and try again.`,
      );
    }
    await receive.revealWith("guess 0");
    await receive.expectState("locked");
    await expectAnnounced(
      receive.state,
      "Too many wrong passwords were tried, so this share is locked for good. Ask the sender to share it again.",
    );

    // Even the right password cannot open it now.
    const retry = new ReceivePage(await recipient.newPage());
    await retry.open(links.share);
    await retry.expectState("locked");
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

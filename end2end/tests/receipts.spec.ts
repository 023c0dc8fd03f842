// Receipts: the manage page follows the share by itself. A claim made in
// another browser shows within 5 seconds ("opened at …, N left"), as do a
// lock after wrong passwords and a revoke; with notifications allowed (asked
// only on a click) each change also shows a notification.
import { test, expect, Page } from "@playwright/test";
import { claimWithWrongPassword, revoke, manageTokenOf } from "./fixtures/api";
import { ManagePage, ReceivePage, SendPage } from "./fixtures/pages";

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

/** Records notifications and permission prompts instead of showing them. */
async function recordNotifications(page: Page) {
  await page.addInitScript(() => {
    const seen: { title: string; body: string }[] = [];
    let asked = 0;
    class Recorded {
      static get permission() {
        return asked > 0 ? "granted" : "default";
      }
      static async requestPermission() {
        asked += 1;
        return "granted";
      }
      constructor(title: string, options?: { body?: string }) {
        seen.push({ title, body: options?.body ?? "" });
      }
    }
    // @ts-ignore: a stand-in for the browser's prompt and notification centre.
    window.Notification = Recorded;
    // @ts-ignore
    window.__notifications = () => ({ seen, asked });
  });
}

async function notifications(page: Page): Promise<{ seen: { title: string; body: string }[]; asked: number }> {
  // @ts-ignore
  return page.evaluate(() => window.__notifications());
}

test("a claim in another browser shows on the manage page within 5 seconds", async ({ browser }) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(`receipt ${crypto.randomUUID()}`, { downloads: 3 });

    const managePage = await sender.newPage();
    await recordNotifications(managePage);
    const manage = new ManagePage(managePage);
    await manage.open(links.manage);
    await expect(manage.receipt).toHaveText("Not opened yet, 3 left.");
    expect((await notifications(managePage)).asked).toBe(0);
    await manage.notify.click();
    await expect(manage.notifyState).toContainText("will notify you");
    expect((await notifications(managePage)).asked).toBe(1);

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    await receive.revealText();
    // The claim has been answered: the manage page has 5 seconds.
    await expect(manage.receipt).toHaveText(/^Opened at .+, 2 left\.$/, { timeout: 5_000 });
    await expect(manage.downloadsLeft).toHaveText("2");
    await expect(manage.downloads.locator("li")).toHaveCount(1);
    const { seen } = await notifications(managePage);
    expect(seen).toHaveLength(1);
    expect(seen[0].body).toMatch(/^Opened at .+, 2 left\.$/);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
  }
});

test("the manage page shows a lock after wrong passwords and a revoke, each within 5 seconds", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const sender = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(`locked ${crypto.randomUUID()}`, { password: "only the sender knows" });

    const manage = new ManagePage(await sender.newPage());
    await manage.open(links.manage);
    await expect(manage.receipt).toHaveText("Not opened yet, 1 left.");
    expect(await claimWithWrongPassword(origin(baseURL), links.id, links.fragment)).toBe(401);
    await expect(manage.receipt).toHaveText("Not opened yet, 1 left. 1 wrong password was tried.", {
      timeout: 5_000,
    });
    for (let i = 0; i < 4; i++) await claimWithWrongPassword(origin(baseURL), links.id, links.fragment);
    await expect(manage.receipt).toHaveText("Locked after 5 wrong passwords.", { timeout: 5_000 });
    await expect(manage.state).toHaveAttribute("data-state", "locked");

    // Revoked elsewhere (another device of the sender, or the CLI).
    await revoke(origin(baseURL), links.id, manageTokenOf(links.manage));
    // A locked share is looked at every 30 s; coming back to the page looks at once.
    await manage.page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await expect(manage.receipt).toHaveText("Revoked.", { timeout: 5_000 });
  } finally {
    await sender.close();
  }
});

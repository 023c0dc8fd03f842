// Taking down a pasted link: the key never leaves the page, and the recipient
// is told the share was removed.
import { test, expect } from "@playwright/test";
import { ConsolePage, ConsoleServer, startConsoleServer } from "./fixtures/console";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { expectAnnounced } from "./fixtures/a11y";

let server: ConsoleServer;
test.beforeAll(async () => {
  server = await startConsoleServer();
});
test.afterAll(async () => {
  await server.stop();
});

test("a taken-down link makes the recipient page say the share was removed", async ({ browser }) => {
  const operator = await browser.newContext();
  const sender = await browser.newContext({ baseURL: server.base });
  const recipient = await browser.newContext();
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(`reported ${crypto.randomUUID()}`);

    const console = new ConsolePage(await operator.newPage(), server.base);
    await console.signInAsOperator();
    const sent: string[] = [];
    console.page.on("request", (r) => {
      if (r.method() === "POST") sent.push(`${r.url()} ${r.postData() ?? ""}`);
    });
    await console.takedownField.fill(links.share);
    // The page drops the key as soon as the link is pasted.
    await expect(console.takedownField).toHaveValue(links.share.split("#")[0]);
    await console.takedownSubmit.click();
    await expect(console.notice).toContainText(`Share ${links.id.slice(0, 6)} is taken down`);
    await expect(console.page.locator("#actions li[data-action=takedown]")).toContainText(links.id.slice(0, 6));
    expect(sent.length).toBe(1);
    expect(sent[0]).not.toContain(links.fragment);

    const receive = new ReceivePage(await recipient.newPage());
    await receive.open(links.share);
    await receive.expectState("removed");
    await expectAnnounced(
      receive.state,
      "It was removed by the operator of this server, so it can no longer be opened. Ask the sender to share it again if you still need it.",
    );
  } finally {
    await Promise.all([operator.close(), sender.close(), recipient.close()]);
  }
});

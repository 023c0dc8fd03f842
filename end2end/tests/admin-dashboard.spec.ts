// The dashboard's numbers move when a share is created and claimed in another browser.
import { test, expect } from "@playwright/test";
import { ConsolePage, ConsoleServer, startConsoleServer } from "./fixtures/console";
import { ReceivePage, SendPage } from "./fixtures/pages";

let server: ConsoleServer;
test.beforeAll(async () => {
  server = await startConsoleServer();
});
test.afterAll(async () => {
  await server.stop();
});

test("creating and claiming a share moves the dashboard's numbers", async ({ browser }) => {
  const operator = await browser.newContext();
  const sender = await browser.newContext({ baseURL: server.base });
  try {
    const console = new ConsolePage(await operator.newPage(), server.base);
    // The page hydrates to what the server rendered: no error in the browser's console.
    const errors: string[] = [];
    console.page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    console.page.on("pageerror", (e) => errors.push(String(e)));
    await console.signInAsOperator();
    const ready = await console.number("live-ready");
    const created = await console.number("count-created-hour");
    const claimed = await console.number("count-claimed-hour");

    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText(`counted by the console ${crypto.randomUUID()}`, { downloads: 2 });
    const receive = new ReceivePage(await sender.newPage());
    await receive.open(links.share);
    await receive.revealText();

    await console.goto();
    expect(await console.number("live-ready")).toBe(ready + 1);
    expect(await console.number("count-created-hour")).toBe(created + 1);
    expect(await console.number("count-claimed-hour")).toBe(claimed + 1);
    const row = console.shares.locator(`tr[data-short-id="${links.id.slice(0, 6)}"]`);
    await expect(row).toHaveCount(1);
    await expect(row.locator("td").nth(1)).toHaveText("ready");
    await expect(row.locator("td").nth(5)).toHaveText("1");
    // Short ids only: the page never holds a full id.
    expect(await console.page.content()).not.toContain(links.id);
    expect(errors).toEqual([]);
  } finally {
    await Promise.all([operator.close(), sender.close()]);
  }
});

// Console posts from another site, or without the form's token, are refused
// and change nothing.
import { test, expect } from "@playwright/test";
import { CONSOLE_PASSWORD, ConsolePage, ConsoleServer, startConsoleServer } from "./fixtures/console";
import { SendPage } from "./fixtures/pages";

let server: ConsoleServer;
test.beforeAll(async () => {
  server = await startConsoleServer();
});
test.afterAll(async () => {
  await server.stop();
});

async function infoStatus(base: string, id: string): Promise<number> {
  return (await fetch(`${base}/api/v1/shares/${id}`)).status;
}

test("a takedown posted from another site is refused", async ({ browser }) => {
  const operator = await browser.newContext();
  const sender = await browser.newContext({ baseURL: server.base });
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText("not to be taken down by a stranger");

    const console = new ConsolePage(await operator.newPage(), server.base);
    await console.signInAsOperator();
    // Even with the session's own token (as if it had leaked), another origin is refused.
    const csrf = await console.csrf();
    const evil = await operator.newPage();
    await evil.route("http://evil.test/**", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<form method="post" action="${server.base}/admin/takedown">
                 <input name="share" value="${links.id}"><input name="csrf" value="${csrf}">
               </form>`,
      }),
    );
    await evil.goto("http://evil.test/");
    const [res] = await Promise.all([
      evil.waitForResponse((r) => r.url() === `${server.base}/admin/takedown`),
      evil.locator("form").evaluate((f: HTMLFormElement) => f.submit()),
    ]);
    expect(res.status()).toBe(403);
    expect(await infoStatus(server.base, links.id)).toBe(200);
    await console.goto();
    await expect(console.dashboard).toBeVisible();
    await expect(console.page.locator("#actions li[data-action=takedown]")).toHaveCount(0);
  } finally {
    await Promise.all([operator.close(), sender.close()]);
  }
});

test("console posts without the form's token are refused", async ({ browser }) => {
  const operator = await browser.newContext();
  const sender = await browser.newContext({ baseURL: server.base });
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const links = await send.shareText("kept");

    // A sign-in without the token of its form does not sign in, even with the right password.
    const fresh = await operator.newPage();
    await fresh.goto(`${server.base}/admin`);
    const login = await fresh.request.post(`${server.base}/admin/login`, {
      form: { password: CONSOLE_PASSWORD },
      maxRedirects: 0,
    });
    expect(login.status()).toBe(403);
    expect((await operator.cookies()).find((c) => c.name === "ots-admin")).toBeUndefined();

    const console = new ConsolePage(await operator.newPage(), server.base);
    await console.signInAsOperator();
    const res = await console.page.request.post(`${server.base}/admin/takedown`, {
      form: { share: links.id },
      maxRedirects: 0,
    });
    expect(res.status()).toBe(403);
    expect(await infoStatus(server.base, links.id)).toBe(200);
  } finally {
    await Promise.all([operator.close(), sender.close()]);
  }
});

// A server that takes shares only with a create token (protocol 1.1): the
// page asks for the token, says clearly when it is missing (401
// token_required) or wrong (403 bad_token), sends it only with the create
// request, and keeps it for the tab only unless "remember on this device"
// is ticked.
import { test, expect, Page } from "@playwright/test";
import { SendPage, hydrated } from "./fixtures/pages";
import { OwnServer, startServer } from "./fixtures/server";

const TOKEN = "ots-create_T0ken.for-e2e";
const KEY = "ots-create-token";

// How the operator hands out create tokens: an environment variable
// holding the accepted tokens.
const TOKEN_ENV = "OTS_CREATE_TOKENS";

let server: OwnServer;

test.beforeAll(async () => {
  server = await startServer({ [TOKEN_ENV]: `e2e:${TOKEN}` });
});

test.afterAll(async () => {
  await server?.stop();
});

async function openSend(page: Page): Promise<SendPage> {
  const send = new SendPage(page);
  await page.goto(`${server.baseURL}/`);
  await hydrated(page);
  return send;
}

const stored = (page: Page) =>
  page.evaluate((key) => ({ session: sessionStorage.getItem(key), local: localStorage.getItem(key) }), KEY);

test("the create token is asked for, checked by the server and kept as the sender chose", async ({ browser }) => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const authorizations: { path: string; auth: string | undefined }[] = [];
    const urls: string[] = [];
    ctx.on("request", (r) => {
      urls.push(r.url());
      const url = new URL(r.url());
      if (url.pathname.startsWith("/api/")) authorizations.push({ path: url.pathname, auth: r.headers()["authorization"] });
    });
    const send = await openSend(page);
    await expect(send.createToken).toBeVisible();
    await expect(send.rememberToken).not.toBeChecked();

    await send.textTab.click();
    await send.text.fill("needs a token");
    await send.send.click();
    await expect(send.error).toHaveText(
      "This server accepts shares only with a create token. Enter the token you were given.",
    );
    await expect(send.error).toHaveAttribute("role", "alert");

    await send.createToken.fill("not-the-token");
    await send.send.click();
    await expect(send.error).toHaveText("The server did not accept this create token. Check it and try again.");
    expect(await stored(page)).toEqual({ session: null, local: null });

    await send.createToken.fill(TOKEN);
    await send.send.click();
    await send.links();
    expect(await stored(page)).toEqual({ session: TOKEN, local: null });
    const creates = authorizations.filter((a) => a.path === "/api/v1/shares");
    expect(creates.map((a) => a.auth)).toEqual([undefined, "Bearer not-the-token", `Bearer ${TOKEN}`]);
    // No other request carries it.
    expect(authorizations.filter((a) => a.path !== "/api/v1/shares" && a.auth?.includes(TOKEN))).toEqual([]);

    expect(urls.filter((u) => u.includes(TOKEN))).toEqual([]);

    // Another tab does not have it: it was kept for that tab only.
    const other = await openSend(await ctx.newPage());
    await expect(other.createToken).toHaveValue("");

    // Remembered on this device, a new tab has it ready.
    await other.createToken.fill(TOKEN);
    await other.rememberToken.check();
    await other.textTab.click();
    await other.text.fill("remembered");
    await other.send.click();
    await other.links();
    expect(await stored(other.page)).toEqual({ session: null, local: TOKEN });
    const third = await openSend(await ctx.newPage());
    await expect(third.createToken).toHaveValue(TOKEN);
    await expect(third.rememberToken).toBeChecked();
  } finally {
    await ctx.close();
  }
});

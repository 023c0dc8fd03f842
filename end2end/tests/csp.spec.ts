// Every page works under the server's strict Content-Security-Policy: no
// inline script but the nonced hydration script, wasm allowed, the Argon2id
// worker from 'self', and the browser reports no violation on the way.
import { test, expect, Page } from "@playwright/test";
import { ManagePage, ReceivePage, SendPage } from "./fixtures/pages";

function violations(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

test("send, receive (with a password) and manage run under the strict CSP", async ({ page }) => {
  const seen = violations(page);
  const res = await page.goto("/");
  const csp = res?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("script-src 'self' 'nonce-");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).not.toMatch(/'unsafe-eval'/);
  // The hydration script carries the nonce of this response.
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();

  const send = new SendPage(page);
  await send.goto();
  const links = await send.shareText("under csp", { password: "a long enough password" });

  const receive = new ReceivePage(page);
  await receive.open(links.share);
  expect(await receive.revealText("a long enough password")).toBe("under csp");

  const manage = new ManagePage(page);
  await manage.open(links.manage);
  await expect(manage.state).toHaveAttribute("data-state", "consumed");
  expect(seen).toEqual([]);
});

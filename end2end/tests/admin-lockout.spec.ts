// A wrong console password shows an error; the fifth from one address locks it out.
import { test, expect } from "@playwright/test";
import { CONSOLE_PASSWORD, ConsolePage, ConsoleServer, startConsoleServer } from "./fixtures/console";

let server: ConsoleServer;
test.beforeAll(async () => {
  server = await startConsoleServer();
});
test.afterAll(async () => {
  await server.stop();
});

test("a wrong password shows an error and the fifth locks the address out", async ({ page }) => {
  const console = new ConsolePage(page, server.base);
  await console.goto();
  for (let left = 4; left >= 1; left--) {
    expect(await console.signInWith("not the password")).toBe(401);
    await expect(console.loginError).toContainText("Wrong password");
    await expect(console.loginError).toContainText(`${left} more wrong password`);
    await expect(console.dashboard).toHaveCount(0);
  }
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/admin/login")),
    console.password.fill("not the password").then(() => console.signIn.click()),
  ]);
  expect(res.status()).toBe(429);
  expect(res.headers()["retry-after"]).toBe("900");
  await expect(console.loginError).toContainText("locked for 15 minutes");
  await expect(console.password).toHaveCount(0);

  // Even the right password is refused now.
  const again = await page.request.post(`${server.base}/admin/login`, {
    form: { password: CONSOLE_PASSWORD, csrf: "" },
  });
  expect(again.status()).toBe(429);
  const status = await console.goto();
  expect(status).toBe(429);
  await expect(console.loginError).toContainText("locked");
});

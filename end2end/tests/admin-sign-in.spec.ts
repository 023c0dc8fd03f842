// The right console password shows the dashboard; signing out ends the session.
import { test, expect } from "@playwright/test";
import { CONSOLE_PASSWORD, ConsolePage, ConsoleServer, startConsoleServer } from "./fixtures/console";

let server: ConsoleServer;
test.beforeAll(async () => {
  server = await startConsoleServer();
});
test.afterAll(async () => {
  await server.stop();
});

test("the right password shows the dashboard", async ({ page }) => {
  const console = new ConsolePage(page, server.base);
  expect(await console.goto()).toBe(200);
  await expect(console.password).toBeVisible();
  expect(await console.signInWith(CONSOLE_PASSWORD)).toBe(303);
  await expect(console.dashboard).toBeVisible();
  await expect(page).toHaveURL(`${server.base}/admin`);
  for (const id of ["live-uploading", "live-ready", "live-downloading", "live-locked", "count-created-hour"]) {
    await expect(page.locator(`#${id}`)).toHaveText(/^\d+$/);
  }
  await expect(page.locator("#health-store")).toHaveAttribute("data-state", "ok");
  await expect(page.locator("#health-blobs")).toHaveAttribute("data-state", "ok");
  await expect(page.locator("#actions li[data-action=login]")).toHaveCount(1);
});

test("signing out ends the session", async ({ page, context }) => {
  const console = new ConsolePage(page, server.base);
  await console.signInAsOperator();
  const session = (await context.cookies()).find((c) => c.name === "ots-admin");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Strict");
  expect(session?.path).toBe("/admin");

  await console.signOut.click();
  await expect(console.password).toBeVisible();
  expect((await context.cookies()).find((c) => c.name === "ots-admin")).toBeUndefined();

  // The old session cookie, put back, opens nothing.
  await context.addCookies([session!]);
  await console.goto();
  await expect(console.password).toBeVisible();
  await expect(console.dashboard).toHaveCount(0);
});

import { test, expect } from "@playwright/test";

// The home page of the release build loads, hydrates and logs no errors. A
// wasm-opt that breaks hydration shows only here: the page renders, but the
// tab button never responds.
test("home page hydrates without console errors", async ({ page }) => {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));

  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.locator("h1")).toBeVisible();

  // Before hydration a click does nothing; keep clicking until the wasm
  // bundle has hydrated the page and the click switches the panel.
  await expect(async () => {
    await page.locator("#tab-file").click();
    await expect(page.locator("#file-panel")).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 20_000 });

  expect(errors).toEqual([]);
});

test("health endpoint answers", async ({ request }) => {
  const res = await request.get("/healthz");
  expect(res.ok()).toBeTruthy();
});

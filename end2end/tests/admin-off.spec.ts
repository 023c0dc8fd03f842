// Without a console password the console does not exist: /admin is the site's 404.
import { test, expect } from "@playwright/test";

test("without a console password /admin answers 404", async ({ page, request }) => {
  const res = await page.goto("/admin");
  expect(res?.status()).toBe(404);
  await expect(page.locator("#admin-login")).toHaveCount(0);
  await expect(page.getByText("Page not found.")).toBeVisible();
  const post = await request.post("/admin/login", { form: { password: "anything" } });
  expect(post.status()).toBe(404);
});

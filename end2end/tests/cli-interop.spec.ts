// CLI <-> browser interop: each client opens what the other sent, a text and a
// file each way, against the same server (Playwright's baseURL).
import { test, expect, Page } from "@playwright/test";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ots, otsBin, otsSend, rmTemp, sha256, tempDir } from "./fixtures/cli";

test.skip(!otsBin, "E2E_OTS_BIN is not set: run through scripts/e2e.sh, which builds ots");

/** Clicks `selector` until the page has hydrated and `ready` shows. */
async function clickWhenHydrated(page: Page, selector: string, ready: string) {
  await expect(async () => {
    await page.locator(selector).click();
    await expect(page.locator(ready)).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 20_000 });
}

function server(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

test("a text sent with ots opens in the browser", async ({ page, baseURL }) => {
  const secret = `from the terminal ${crypto.randomUUID()}\nsecond line`;
  const { share } = await otsSend(server(baseURL), [], { input: secret });
  expect(share.startsWith(`${server(baseURL)}/s/`)).toBeTruthy();

  await page.goto(share);
  await expect(page.locator("#share-info")).toBeVisible();
  await clickWhenHydrated(page, "#reveal", "#revealed");
  await expect(page.locator("#secret-text")).toHaveValue(secret);
});

test("a file sent with ots downloads in the browser", async ({ page, baseURL }) => {
  const dir = tempDir();
  try {
    const bytes = crypto.randomBytes(3 * 1024 * 1024 + 123); // over the inline limit: parts
    const file = path.join(dir, "from-cli.bin");
    fs.writeFileSync(file, bytes);
    const { share } = await otsSend(server(baseURL), [file]);

    await page.goto(share);
    await expect(page.locator("#share-info")).toBeVisible();
    const download = page.waitForEvent("download");
    await clickWhenHydrated(page, "#reveal", "#saved");
    const saved = await download;
    expect(saved.suggestedFilename()).toBe("from-cli.bin");
    const got = fs.readFileSync(await saved.path());
    expect(sha256(got)).toBe(sha256(bytes));
  } finally {
    rmTemp(dir);
  }
});

test("a text sent from the browser opens with ots", async ({ page }) => {
  const secret = `from the browser ${crypto.randomUUID()}`;
  await page.goto("/");
  await clickWhenHydrated(page, "#tab-text", "#text-panel");
  await page.locator("#text-panel").fill(secret);
  await page.locator("#send").click();
  const link = await page.locator("#share-link").inputValue();
  expect(link).toContain("/s/");

  const run = await ots(["get", link]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout.toString()).toBe(secret);
});

test("a file sent from the browser saves with ots", async ({ page }) => {
  const dir = tempDir();
  try {
    const bytes = crypto.randomBytes(2 * 1024 * 1024 + 7);
    const file = path.join(dir, "from-browser.bin");
    fs.writeFileSync(file, bytes);
    await page.goto("/");
    await clickWhenHydrated(page, "#tab-file", "#file-panel");
    await page.locator("#file-input").setInputFiles(file);
    await expect(page.locator("#file-chosen")).toContainText("from-browser.bin");
    await page.locator("#send").click();
    const link = await page.locator("#share-link").inputValue();

    const out = path.join(dir, "out");
    fs.mkdirSync(out);
    const run = await ots(["get", link, "-o", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readdirSync(out)).toEqual(["from-browser.bin"]);
    expect(sha256(fs.readFileSync(path.join(out, "from-browser.bin")))).toBe(sha256(bytes));
  } finally {
    rmTemp(dir);
  }
});

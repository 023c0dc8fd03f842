// The send page offers only what the server accepts (GET /api/v1/config,
// protocol 1.1): a server of its own with a narrow expiry range and a small
// size limit; the page offers exactly those expiries with the server's
// default selected, shows the limit, and refuses a larger file before any
// request.
import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { SendPage } from "./fixtures/pages";
import { removeDir, tempDir } from "./fixtures/files";
import { OwnServer, startServer } from "./fixtures/server";

const MIB = 1024 * 1024;
let server: OwnServer;

test.beforeAll(async () => {
  server = await startServer({
    OTS_MIN_EXPIRY_SECS: "600",
    OTS_MAX_EXPIRY_SECS: "7200",
    OTS_DEFAULT_EXPIRY_SECS: "1800",
    OTS_MAX_SHARE_BYTES: String(3 * MIB),
  });
});

test.afterAll(async () => {
  await server?.stop();
});

test("the expiry choices, limit and default are the server's", async ({ page }) => {
  const config = await (await fetch(`${server.baseURL}/api/v1/config`)).json();
  expect(config.expires_in).toEqual({ min: 600, max: 7200, default: 1800 });

  const send = new SendPage(page);
  await page.goto(`${server.baseURL}/`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 30_000 });
  await expect
    .poll(() => send.expiryChoices())
    .toEqual([
      { value: 900, label: "15 minutes", selected: false },
      { value: 1800, label: "30 minutes", selected: true },
      { value: 3600, label: "1 hour", selected: false },
      { value: 7200, label: "2 hours", selected: false },
    ]);
  await expect(send.sizeLimit).toHaveText("Up to 3 MiB per share.");
  await expect(send.downloads).toHaveAttribute("max", String(config.max_downloads));

  // A create asks for the default expiry unless the sender picks another.
  const creates: any[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/api/v1/shares") creates.push(r.postDataJSON());
  });
  await send.textTab.click();
  await send.text.fill("expires in half an hour");
  await send.send.click();
  await send.links();
  expect(creates.map((c) => c.expires_in)).toEqual([1800]);
});

test("a file over the server's limit is refused before any request", async ({ page }) => {
  const dir = tempDir();
  try {
    const file = path.join(dir, "four-mib.bin");
    const fd = fs.openSync(file, "w");
    fs.ftruncateSync(fd, 4 * MIB);
    fs.closeSync(fd);
    const send = new SendPage(page);
    await page.goto(`${server.baseURL}/`);
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 30_000 });
    await expect(send.sizeLimit).toHaveText("Up to 3 MiB per share.");
    const requests: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/v1/shares")) requests.push(r.url());
    });
    await send.chooseFiles([file]);
    await send.send.click();
    await expect(send.error).toHaveText("This is 4 MiB; the server accepts up to 3 MiB per share.");
    await expect(send.error).toHaveAttribute("role", "alert");
    await page.waitForTimeout(300);
    expect(requests).toEqual([]);
  } finally {
    removeDir(dir);
  }
});

// A server over its storage quota answers 507 storage_full and stores
// nothing (protocol 1.1); the send page says so in one clear sentence,
// announced to screen readers, and does not retry.
import { test, expect } from "@playwright/test";
import { SendPage, hydrated } from "./fixtures/pages";
import { randomFile, removeDir, tempDir } from "./fixtures/files";
import { OwnServer, startServer } from "./fixtures/server";

const QUOTA_ENV = "OTS_MAX_STORED_BYTES";

let server: OwnServer;

test.beforeAll(async () => {
  server = await startServer({ [QUOTA_ENV]: String(1024 * 1024) });
});

test.afterAll(async () => {
  await server?.stop();
});

test("a full server is reported as full", async ({ page }) => {
  const dir = tempDir();
  try {
    const { file } = randomFile(dir, "two-mib.bin", 2 * 1024 * 1024);
    const creates: number[] = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname === "/api/v1/shares") creates.push(r.status());
    });
    const send = new SendPage(page);
    await page.goto(`${server.baseURL}/`);
    await hydrated(page);
    await send.chooseFiles([file]);
    await send.send.click();
    await expect(send.error).toHaveText("The server is full. Try again later.");
    await expect(send.error).toHaveAttribute("role", "alert");
    expect(creates).toEqual([507]);
  } finally {
    removeDir(dir);
  }
});

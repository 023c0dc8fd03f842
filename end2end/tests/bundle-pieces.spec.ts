// The send page's first load leaves sealing and uploading out of the wasm
// bundle: that piece comes when the form is first used, and a piece that
// cannot be fetched is a sentence that says what to do, never a dead page.
// Workers that cannot fetch the code that seals and opens records (the
// SIMD bundle, nor the page's piece) leave the work to the page, which has
// that code of its own.
import { test, expect } from "@playwright/test";
import { SendPage, ReceivePage } from "./fixtures/pages";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";

const SEND_PIECE = /\/pkg\/split_send_engine[^/]*\.wasm$/;

test("the send piece is not in the first load, and comes when the form is first used", async ({ page }) => {
  const fetched: string[] = [];
  page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
  const send = new SendPage(page);
  await send.goto();
  await page.waitForLoadState("networkidle");
  expect(fetched.filter((p) => SEND_PIECE.test(p))).toEqual([]);
  // Nor any page a sender does not see.
  expect(fetched.filter((p) => /route_view/.test(p))).toEqual([]);

  await send.text.focus();
  await expect.poll(() => fetched.filter((p) => SEND_PIECE.test(p)).length).toBe(1);
  const links = await send.shareText("a secret sent after the piece came");
  expect(links.share).toMatch(/\/s\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$/);
});

test("a send piece that cannot be fetched says so, and the page sends once reloaded", async ({ browser }) => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.route(SEND_PIECE, (route) => route.abort("internetdisconnected"));
    const send = new SendPage(page);
    await send.goto();
    await send.textTab.click();
    await send.text.fill("a secret that waits for its piece");
    await send.send.click();
    await expect(send.error).toBeVisible();
    await expect(send.error).toContainText("Part of this page could not be loaded");
    await expect(send.error).toContainText("reload the page");
    await expect(send.shareLink).toHaveCount(0);
    // The page still answers: the text is kept, and another tab still works.
    await expect(send.text).toHaveValue("a secret that waits for its piece");

    await page.unroute(SEND_PIECE);
    await send.goto();
    const links = await send.shareText("a secret sent after a reload");
    const receive = new ReceivePage(await context.newPage());
    await receive.open(links.share);
    expect(await receive.revealText()).toBe("a secret sent after a reload");
  } finally {
    await context.close();
  }
});

test("when the workers cannot fetch the code that seals and opens, the pages do the work themselves", async ({ browser }) => {
  const RECORDS_PIECE = /\/pkg\/(split_stream_records[^/]*\.wasm|crypt-simd[^/]*)$/;
  const dir = tempDir();
  // Blocked for both pages and all their workers.
  const sender = await browser.newContext();
  const recipient = await browser.newContext({ acceptDownloads: true });
  let refused = 0;
  for (const ctx of [sender, recipient]) {
    await ctx.route(RECORDS_PIECE, (route) => {
      refused += 1;
      return route.abort("internetdisconnected");
    });
  }
  try {
    // Two parts, with a record across the boundary.
    const { file, sha256 } = randomFile(dir, "two-parts.bin", 9 * 1024 * 1024 + 3);
    const warnings: string[] = [];
    const sendPage = await sender.newPage();
    sendPage.on("console", (m) => {
      if (m.type() === "warning") warnings.push(m.text());
    });
    const send = new SendPage(sendPage);
    await send.goto();
    const links = await send.shareFile(file);
    expect(warnings.some((w) => w.includes("on the main thread"))).toBeTruthy();

    const page = await recipient.newPage();
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();
    expect(await sha256File(await saved.path())).toBe(sha256);
    expect(refused).toBeGreaterThan(0);
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

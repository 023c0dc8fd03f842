// The send page's first load leaves sealing and uploading out of the wasm
// bundle: that piece comes when the form is first used, and a piece that
// cannot be fetched is a sentence that says what to do, never a dead page.
// The receive page fetches the code that opens records before it claims.
import { test, expect } from "@playwright/test";
import { SendPage, ReceivePage } from "./fixtures/pages";
import { randomFile, removeDir, tempDir } from "./fixtures/files";

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

test("a receive page that cannot fetch the code that opens records says so before the claim", async ({ browser }) => {
  const RECORDS_PIECE = /\/pkg\/split_stream_records[^/]*\.wasm$/;
  const context = await browser.newContext();
  try {
    const send = new SendPage(await context.newPage());
    await send.goto();
    const links = await send.shareText("a secret that must survive a missing piece");

    const page = await context.newPage();
    await page.route(RECORDS_PIECE, (route) => route.abort("internetdisconnected"));
    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await receive.reveal.click();
    await expect(page.getByRole("alert")).toContainText("could not be loaded");
    await expect(receive.secret).toHaveCount(0);

    // The share was not claimed: the link still opens it.
    const again = new ReceivePage(await context.newPage());
    await again.open(links.share);
    expect(await again.revealText()).toBe("a secret that must survive a missing piece");
  } finally {
    await context.close();
  }
});

test("a file send whose sealing code cannot be fetched says to reload, in the workers or in the page", async ({ browser }) => {
  const RECORDS_PIECE = /\/pkg\/split_stream_records[^/]*\.wasm$/;
  const dir = tempDir();
  const context = await browser.newContext();
  // Blocked for the page and for its workers alike.
  await context.route(RECORDS_PIECE, (route) => route.abort("internetdisconnected"));
  try {
    const { file } = randomFile(dir, "two-parts.bin", 9 * 1024 * 1024 + 3);
    const page = await context.newPage();
    const warnings: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "warning") warnings.push(m.text());
    });
    const send = new SendPage(page);
    await send.goto();
    await send.fileTab.click();
    await send.fileInput.setInputFiles(file);
    await send.send.click();
    await expect(send.error).toContainText("Part of this page could not be loaded", { timeout: 60_000 });
    await expect(send.shareLink).toHaveCount(0);
    // The workers could not load it, so the page tried itself.
    expect(warnings.some((w) => w.includes("on the main thread"))).toBeTruthy();
  } finally {
    await context.close();
    removeDir(dir);
  }
});

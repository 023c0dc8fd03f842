// CLI <-> browser interop: each client opens what the other sent, a text and a
// file each way, against the same server (Playwright's baseURL). The CLI is
// the real `ots` binary (E2E_OTS_BIN, built by scripts/e2e.sh).
import { test, expect } from "@playwright/test";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ots, otsBin, otsSend } from "./fixtures/cli";
import { randomFile, removeDir, sha256File, tempDir } from "./fixtures/files";
import { ReceivePage, SendPage } from "./fixtures/pages";

test.skip(!otsBin, "E2E_OTS_BIN is not set: run through scripts/e2e.sh, which builds ots");

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

test("a text sent with ots opens in the browser", async ({ page, baseURL }) => {
  const secret = `from the terminal ${crypto.randomUUID()}\nsecond line ünïcödé`;
  const { share } = await otsSend(origin(baseURL), ["--expires", "10m"], { input: secret });
  expect(share.startsWith(`${origin(baseURL)}/s/`)).toBeTruthy();

  const receive = new ReceivePage(page);
  await receive.open(share);
  expect(await receive.revealText()).toBe(secret);
});

test("a file sent with ots downloads in the browser", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  const dir = tempDir();
  try {
    // Over the 1 MiB inline limit, so it travels as parts.
    const { file, sha256 } = randomFile(dir, "from-cli.bin", 3 * 1024 * 1024 + 123);
    const { share } = await otsSend(origin(baseURL), [file]);

    const receive = new ReceivePage(page);
    await receive.open(share);
    const saved = await receive.revealDownload();
    expect(saved.suggestedFilename()).toBe("from-cli.bin");
    await expect(receive.saved).toBeVisible();
    expect(await sha256File(await saved.path())).toBe(sha256);
  } finally {
    removeDir(dir);
  }
});

test("a text sent from the browser opens with ots", async ({ page }) => {
  const secret = `from the browser ${crypto.randomUUID()}`;
  const send = new SendPage(page);
  await send.goto();
  const links = await send.shareText(secret);

  const run = await ots(["get", links.share]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout.toString()).toBe(secret);
});

test("a file sent from the browser saves with ots", async ({ page }) => {
  test.setTimeout(180_000);
  const dir = tempDir();
  try {
    const { file, sha256 } = randomFile(dir, "from-browser.bin", 2 * 1024 * 1024 + 7);
    const send = new SendPage(page);
    await send.goto();
    const links = await send.shareFile(file);

    const out = path.join(dir, "out");
    fs.mkdirSync(out);
    const run = await ots(["get", links.share, "-o", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readdirSync(out)).toEqual(["from-browser.bin"]);
    expect(await sha256File(path.join(out, "from-browser.bin"))).toBe(sha256);
  } finally {
    removeDir(dir);
  }
});

test("a password-protected text sent with ots opens in the browser", async ({ page, baseURL }) => {
  const secret = `behind a password ${crypto.randomUUID()}`;
  const { share } = await otsSend(origin(baseURL), ["--password"], {
    input: secret,
    env: { OTS_PASSWORD: "correct horse ☃" },
  });
  const receive = new ReceivePage(page);
  await receive.open(share);
  await expect(receive.passwordNeeded).toHaveText("Required");
  expect(await receive.revealText("correct horse ☃")).toBe(secret);
});

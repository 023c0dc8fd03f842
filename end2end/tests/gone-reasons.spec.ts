// A share that goes away after it was claimed, while it downloads (protocol
// 1.1: the download or its resume answers 410 with the reason): the page
// says which of revoked, expired or removed by the operator, keeps nothing,
// and starts no download.
import { test, expect, Page } from "@playwright/test";
import * as crypto from "node:crypto";
import { createShare, revoke } from "./fixtures/api";
import { downloadNames, opfsNames, ReceivePage } from "./fixtures/pages";
import { startServer } from "./fixtures/server";
import { expectAnnounced } from "./fixtures/a11y";

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

/** A 12 MiB file share (two parts) made through the API. */
async function bigShare(at: string, expiresIn?: number) {
  const plain = crypto.randomBytes(12 * 1024 * 1024);
  const meta = { kind: "file", name: "going.bin", type: "application/octet-stream", size: plain.length };
  return createShare(at, plain, meta, { expiresIn });
}

/**
 * Breaks the first blob response off after 4 MiB, as a dropped connection
 * does, and runs `before` ahead of the resume request the page then sends.
 */
async function breakThenResume(page: Page, before: () => Promise<void>) {
  let first = true;
  await page.route("**/api/v1/shares/*/blob", async (route) => {
    if (route.request().method() !== "GET") return route.continue();
    if (first) {
      first = false;
      const real = await route.fetch();
      const body = (await real.body()).subarray(0, 4 * 1024 * 1024);
      return route.fulfill({
        status: 200,
        headers: { ...real.headers(), "content-length": String(body.length) },
        body,
      });
    }
    await before();
    return route.continue();
  });
}

/** Reveals, expects the page to end in `state` saying `sentence`, and checks nothing was kept. */
async function expectStopped(page: Page, state: string, sentence: string) {
  const downloads = downloadNames(page);
  const receive = new ReceivePage(page);
  await receive.revealWith();
  await receive.expectState(state);
  await expect(receive.state).toContainText(sentence);
  await page.waitForTimeout(300);
  expect(downloads).toEqual([]);
  await expect.poll(() => opfsNames(page)).toEqual([]);
}

test("a share revoked during its download: the page says revoked and keeps nothing", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  const share = await bigShare(origin(baseURL));
  await breakThenResume(page, () => revoke(origin(baseURL), share.id, share.manageToken));
  await new ReceivePage(page).open(share.share);
  await expectStopped(page, "revoked", "The sender revoked the share during the download, so nothing was saved.");
});

test("a share that expires during its download, and one opened after its expiry", async ({ page }) => {
  test.setTimeout(120_000);
  const server = await startServer({ OTS_MIN_EXPIRY_SECS: "1" });
  try {
    const expiresIn = 8;
    const share = await bigShare(server.baseURL, expiresIn);
    const expiresAt = Date.now() + expiresIn * 1000;
    await breakThenResume(page, async () => {
      await page.waitForTimeout(Math.max(0, expiresAt - Date.now()) + 1500);
    });
    await new ReceivePage(page).open(share.share);
    await expectStopped(page, "expired", "The share expired during the download, so nothing was saved.");

    // Created in one request (inline), so that its second to live cannot
    // run out while it is still uploading on a slow machine.
    const small = crypto.randomBytes(1024);
    const late = await createShare(
      server.baseURL,
      small,
      { kind: "file", name: "late.bin", type: "application/octet-stream", size: small.length },
      { expiresIn: 1 },
    );
    await page.waitForTimeout(2_000);
    const receive = new ReceivePage(page);
    await receive.open(late.share);
    await receive.expectState("expired");
    await expectAnnounced(
      receive.state,
      "Its time ran out, so it can no longer be opened. Ask the sender to share it again.",
    );
  } finally {
    await server.stop();
  }
});

test("a share removed by the operator during its download: the page says so", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  const share = await bigShare(origin(baseURL));
  // The suite's server offers no takedown to a spec: the resume gets the
  // answer protocol 1.1 gives for a removed share, in its exact form.
  let first = true;
  await page.route("**/api/v1/shares/*/blob", async (route) => {
    if (route.request().method() !== "GET") return route.continue();
    if (!first) {
      return route.fulfill({
        status: 410,
        contentType: "application/json",
        headers: { "cache-control": "no-store" },
        body: JSON.stringify({ error: "gone", message: "the share was removed", reason: "removed" }),
      });
    }
    first = false;
    const real = await route.fetch();
    const body = (await real.body()).subarray(0, 4 * 1024 * 1024);
    return route.fulfill({ status: 200, headers: { ...real.headers(), "content-length": String(body.length) }, body });
  });
  await new ReceivePage(page).open(share.share);
  await expectStopped(
    page,
    "removed",
    "It was removed by the operator of this server during the download, so nothing was saved.",
  );
});

// A share of several files (protocol 1.1 §3, meta kind "files") made by
// another client: the receive page lists the files as plain text with
// their sizes, says how many more the archive holds than the sealed list
// names, and saves the one ZIP archive intact.
import { test, expect } from "@playwright/test";
import * as crypto from "node:crypto";
import { createShare } from "./fixtures/api";
import { removeDir, sha256File, sha256Hex, tempDir } from "./fixtures/files";
import { ReceivePage } from "./fixtures/pages";
import { zipArchive, ZipEntry } from "./fixtures/zip";

function origin(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("no baseURL");
  return baseURL.replace(/\/$/, "");
}

test("the receive page lists the files of a multi-file share and saves its zip", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  const dir = tempDir();
  try {
    const hostile = "<img src=x onerror=alert(1)>.txt";
    const entries: ZipEntry[] = [
      { name: "résumé 2026 — ünïcødé.txt", content: Buffer.from("bonjour") },
      { name: "../escape.txt", content: Buffer.from("no way out") },
      { name: hostile, content: Buffer.from("inert") },
    ];
    // Enough files that the list must scroll; the sealed list names 60 of 90.
    for (let i = 0; i < 87; i++) {
      entries.push({ name: `folder/photo-${String(i).padStart(3, "0")}.jpg`, content: crypto.randomBytes(1000 + i) });
    }
    const archive = zipArchive(dir, "holiday.zip", entries);
    const listed = entries.slice(0, 60).map((e) => ({ name: e.name, size: e.content.length }));
    const meta = { kind: "files", name: "holiday.zip", type: "application/zip", size: archive.length, files: listed };
    const share = await createShare(origin(baseURL), archive, meta);

    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const receive = new ReceivePage(page);
    await receive.open(share.share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();
    expect(saved.suggestedFilename()).toBe("holiday.zip");
    expect(await sha256File(await saved.path())).toBe(sha256Hex(archive));

    await expect(receive.filesTitle).toHaveText("90 files in the archive");
    await expect(receive.files).toHaveCount(60);
    await expect(receive.filesMore).toHaveText("and 30 more");
    // Names are shown as text, paths inside the archive made safe by the
    // protocol's rules (no `..`, each folder a safe name), with sizes.
    await expect(receive.files.nth(0)).toContainText("résumé 2026 — ünïcødé.txt");
    await expect(receive.files.nth(0)).toContainText("7 B");
    await expect(receive.files.nth(1).locator(".file-name")).toHaveText("escape.txt");
    await expect(receive.files.nth(2).locator(".file-name")).toHaveText("_img src=x onerror=alert(1)_.txt");
    await expect(receive.files.nth(3).locator(".file-name")).toHaveText("folder/photo-000.jpg");
    expect(await page.locator("#file-list img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    // A long list scrolls inside its box instead of stretching the page.
    const box = await page.locator("#file-list").evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }));
    expect(box.scroll).toBeGreaterThan(box.client);
  } finally {
    removeDir(dir);
  }
});

test("a multi-file share whose list names every file shows no 'more'", async ({ page, baseURL }) => {
  const dir = tempDir();
  try {
    const entries: ZipEntry[] = [
      { name: "a.txt", content: Buffer.from("a") },
      { name: "b.bin", content: crypto.randomBytes(2048) },
    ];
    const archive = zipArchive(dir, "two.zip", entries);
    const files = entries.map((e) => ({ name: e.name, size: e.content.length }));
    const share = await createShare(origin(baseURL), archive, {
      kind: "files",
      name: "two.zip",
      type: "application/zip",
      size: archive.length,
      files,
    });
    const receive = new ReceivePage(page);
    await receive.open(share.share);
    const download = page.waitForEvent("download");
    await receive.revealWith();
    expect(await sha256File(await (await download).path())).toBe(sha256Hex(archive));
    await expect(receive.filesTitle).toHaveText("2 files in the archive");
    await expect(receive.files).toHaveText([/a\.txt\s*1 B/, /b\.bin\s*2(\.0)? KiB/]);
    await expect(receive.filesMore).toHaveCount(0);
  } finally {
    removeDir(dir);
  }
});

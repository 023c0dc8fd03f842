// Several files, or a whole folder, travel as one ZIP archive (protocol
// 1.1 §3): every file comes back byte-identical, stored as it was, under a
// relative, safe name. Real files on disk; the archive is read by Python's
// zipfile and Info-ZIP's unzip.
import { test, expect, Browser } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { randomFile, readZip, removeDir, sha256Hex, tempDir, ZipEntry } from "./fixtures/files";

const MIB = 1024 * 1024;

/** Opens `share` in a fresh context, saves the download, reads the archive. */
async function receiveZip(browser: Browser, share: string): Promise<{ name: string; entries: ZipEntry[] }> {
  const ctx = await browser.newContext({ acceptDownloads: true });
  try {
    const page = await ctx.newPage();
    const receive = new ReceivePage(page);
    await receive.open(share);
    const saved = await receive.revealDownload();
    await expect(receive.saved).toBeVisible();
    return { name: saved.suggestedFilename(), entries: readZip(await saved.path()) };
  } finally {
    await ctx.close();
  }
}

/** Every name is relative, `/`-separated and climbs nowhere. */
function expectSafeNames(entries: ZipEntry[]) {
  for (const e of entries) {
    expect(e.name, e.name).not.toMatch(/^\/|\\|(^|\/)\.\.?(\/|$)|^[A-Za-z]:/);
  }
}

test("several files, one with a unicode name and one named ../, round trip in one zip", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = tempDir();
  const ctx = await browser.newContext();
  try {
    // Over 1 MiB in all, so the archive goes up in parts, not inline.
    const big = randomFile(dir, "big.bin", 3 * MIB + 123);
    const notes = path.join(dir, "notes.txt");
    fs.writeFileSync(notes, "plain notes\n");
    const unicode = path.join(dir, "Grüße 日本 ✓.txt");
    fs.writeFileSync(unicode, "unicode content ✓\n");
    const escape = Buffer.from("this must not climb out of the folder\n");

    const send = new SendPage(await ctx.newPage());
    await send.goto();
    await send.chooseFiles([big.file, notes, unicode]);
    await send.fileInput.setInputFiles([{ name: "../escape.txt", mimeType: "text/plain", buffer: escape }]);
    await expect(send.fileEntries).toHaveCount(4);
    await expect(send.fileChosen).toHaveText(/^4 files · 3\.0 MiB in all$|^4 files · 3 MiB in all$/);
    await expect(send.archiveNote).toContainText("one ZIP archive");
    await expect(send.fileEntry("Grüße 日本 ✓.txt")).toHaveCount(1);
    await send.send.click();
    const links = await send.links(120_000);

    const { name, entries } = await receiveZip(browser, links.share);
    expect(name).toBe("files.zip");
    expectSafeNames(entries);
    expect(entries.map((e) => e.name).slice(0, 3)).toEqual(["big.bin", "notes.txt", "Grüße 日本 ✓.txt"]);
    expect(entries).toHaveLength(4);
    // The ../ file is inside, under a name of its own, byte-identical.
    expect(entries[3].name).not.toContain("..");
    expect(entries[3].name).toMatch(/escape\.txt$/);
    expect(entries[3].sha256).toBe(sha256Hex(escape));
    expect(entries[0].sha256).toBe(big.sha256);
    expect(entries[0].size).toBe(3 * MIB + 123);
    expect(entries[1].sha256).toBe(sha256Hex(fs.readFileSync(notes)));
    expect(entries[2].sha256).toBe(sha256Hex(fs.readFileSync(unicode)));
    // Stored as they are: the size is known before the first byte is sent.
    expect(entries.map((e) => e.method)).toEqual([0, 0, 0, 0]);
  } finally {
    await ctx.close();
    removeDir(dir);
  }
});

test("a chosen folder keeps its relative paths inside the zip", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = tempDir();
  const ctx = await browser.newContext();
  try {
    const project = path.join(dir, "project");
    fs.mkdirSync(path.join(project, "src", "deep"), { recursive: true });
    fs.mkdirSync(path.join(project, "docs"));
    fs.writeFileSync(path.join(project, "README.md"), "# readme\n");
    fs.writeFileSync(path.join(project, "src", "main.rs"), "fn main() {}\n");
    fs.writeFileSync(path.join(project, "docs", "日本語.txt"), "こんにちは\n");
    const deep = randomFile(path.join(project, "src", "deep"), "data.bin", 2 * MIB);
    const expected = new Map<string, string>([
      ["project/README.md", sha256Hex(fs.readFileSync(path.join(project, "README.md")))],
      ["project/src/main.rs", sha256Hex(fs.readFileSync(path.join(project, "src", "main.rs")))],
      ["project/docs/日本語.txt", sha256Hex(fs.readFileSync(path.join(project, "docs", "日本語.txt")))],
      ["project/src/deep/data.bin", deep.sha256],
    ]);

    const send = new SendPage(await ctx.newPage());
    await send.goto();
    await send.chooseFolder(project);
    await expect(send.fileEntries).toHaveCount(4);
    for (const p of expected.keys()) await expect(send.fileEntry(p)).toHaveCount(1);
    await send.send.click();
    const links = await send.links(120_000);

    const { name, entries } = await receiveZip(browser, links.share);
    expect(name).toBe("project.zip");
    expectSafeNames(entries);
    expect(new Map(entries.map((e) => [e.name, e.sha256]))).toEqual(expected);
  } finally {
    await ctx.close();
    removeDir(dir);
  }
});

test("files dropped on the page join the list", async ({ page }) => {
  const send = new SendPage(page);
  await send.goto();
  await send.chooseFiles([{ name: "picked.txt", mimeType: "text/plain", buffer: Buffer.from("picked") }]);
  await expect(send.fileEntries).toHaveCount(1);
  // A drop as the browser delivers it: a DataTransfer holding two files.
  await page.locator("#file-panel").evaluate((panel) => {
    const data = new DataTransfer();
    data.items.add(new File(["first dropped"], "dropped-1.txt", { type: "text/plain" }));
    data.items.add(new File(["second"], "dropped 2 ✓.txt", { type: "text/plain" }));
    panel.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await expect(send.fileEntries).toHaveCount(3);
  await expect(send.fileEntry("dropped 2 ✓.txt")).toHaveCount(1);
  await expect(send.fileChosen).toHaveText("3 files · 25 B in all");
});

test("an archive over two parts is sealed part by part and round trips", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = tempDir();
  const ctx = await browser.newContext();
  try {
    // About 11 MiB of archive: three parts, made in order by the ZIP writer
    // and sealed by the workers, with records that straddle the parts.
    const a = randomFile(dir, "a.bin", 5 * MIB + 7);
    const b = randomFile(dir, "b.bin", 6 * MIB - 3);
    const send = new SendPage(await ctx.newPage());
    await send.goto();
    await send.chooseFiles([a.file, b.file]);
    await expect(send.fileEntries).toHaveCount(2);
    await send.send.click();
    const links = await send.links(120_000);

    const { entries } = await receiveZip(browser, links.share);
    expect(entries.map((e) => [e.name, e.sha256])).toEqual([
      ["a.bin", a.sha256],
      ["b.bin", b.sha256],
    ]);
  } finally {
    await ctx.close();
    removeDir(dir);
  }
});

test("empty files and many small ones keep their order and bytes in the zip", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = tempDir();
  const ctx = await browser.newContext();
  try {
    // The archive is made a read at a time: a file longer than one read
    // (4 MiB), empty files between others and at the end, and a run of
    // small files must all come out in order and whole.
    const first = randomFile(dir, "first.bin", 4 * MIB + 1);
    const empty = path.join(dir, "empty.txt");
    fs.writeFileSync(empty, "");
    const small = Array.from({ length: 30 }, (_, i) => randomFile(dir, `small-${String(i).padStart(2, "0")}.bin`, 100_000 + i));
    const last = randomFile(dir, "last.bin", 2 * MIB);
    const emptyLast = path.join(dir, "z-empty.txt");
    fs.writeFileSync(emptyLast, "");
    const chosen = [first.file, empty, ...small.map((s) => s.file), last.file, emptyLast];

    const send = new SendPage(await ctx.newPage());
    await send.goto();
    await send.chooseFiles(chosen);
    await expect(send.fileEntries).toHaveCount(chosen.length);
    await send.send.click();
    const links = await send.links(120_000);

    const { entries } = await receiveZip(browser, links.share);
    const emptySha = sha256Hex(Buffer.alloc(0));
    expect(entries.map((e) => [e.name, e.sha256])).toEqual([
      ["first.bin", first.sha256],
      ["empty.txt", emptySha],
      ...small.map((s) => [path.basename(s.file), s.sha256]),
      ["last.bin", last.sha256],
      ["z-empty.txt", emptySha],
    ]);
  } finally {
    await ctx.close();
    removeDir(dir);
  }
});

// CLI <-> browser interop for shares of several files (protocol 1.1 §3: one
// ZIP archive, sealed meta kind "files"): what `ots send a b dir/` makes
// opens in the browser (its list shown, one .zip saved), and what the send
// page makes from several files unpacks with `ots get --extract`. The CLI
// is the real `ots` binary (E2E_OTS_BIN, built by scripts/e2e.sh); the
// archive the browser saves is read with Python's zipfile, an independent
// reader.
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
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

/** `name -> sha256` of every entry of a ZIP archive, CRCs checked, by Python's zipfile. */
function zipDigests(zip: string): Record<string, string> {
  const script = [
    "import hashlib, json, sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "assert z.testzip() is None",
    "print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist() if not i.is_dir()}))",
  ].join("\n");
  return JSON.parse(execFileSync("python3", ["-c", script, zip]).toString());
}

test("several files sent with ots open in the browser as one zip", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  const dir = tempDir();
  try {
    const a = randomFile(dir, "notes.txt", 1234);
    const b = randomFile(dir, "photo.jpg", 2 * 1024 * 1024 + 5);
    fs.mkdirSync(path.join(dir, "folder", "sub"), { recursive: true });
    const c = randomFile(path.join(dir, "folder", "sub"), "deep.bin", 70_000);
    const { share } = await otsSend(origin(baseURL), ["notes.txt", "photo.jpg", "folder"], {
      cwd: dir,
    });

    const receive = new ReceivePage(page);
    await receive.open(share);
    const saved = await receive.revealDownload();
    expect(saved.suggestedFilename()).toBe("files.zip");
    await expect(receive.saved).toBeVisible();
    // The sealed list (it opens with the claim): names as text.
    for (const name of ["notes.txt", "photo.jpg", "deep.bin"]) {
      await expect(page.getByText(name, { exact: false }).first()).toBeVisible();
    }

    const digests = zipDigests(await saved.path());
    expect(digests).toEqual({
      "notes.txt": a.sha256,
      "photo.jpg": b.sha256,
      "folder/sub/deep.bin": c.sha256,
    });
  } finally {
    removeDir(dir);
  }
});

test("several files sent from the browser unpack with ots --extract", async ({ page }) => {
  test.setTimeout(180_000);
  const dir = tempDir();
  try {
    const files = [
      randomFile(dir, "first.bin", 1_500_000),
      randomFile(dir, "second.txt", 4321),
      randomFile(dir, "third ünïcödé.dat", 65_536 * 2 + 1),
    ];
    const send = new SendPage(page);
    await send.goto();
    await send.fileTab.click();
    await send.fileInput.setInputFiles(files.map((f) => f.file));
    await send.send.click();
    const links = await send.links(120_000);

    const out = path.join(dir, "out");
    const run = await ots(["get", links.share, "--extract", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("extracted 3 file(s)");
    expect(fs.readdirSync(out).sort()).toEqual(files.map((f) => path.basename(f.file)).sort());
    for (const f of files) {
      expect(await sha256File(path.join(out, path.basename(f.file)))).toBe(f.sha256);
    }
  } finally {
    removeDir(dir);
  }
});

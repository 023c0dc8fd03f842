// Measures the web app in headless chromium on loopback and prints the
// numbers for BENCHMARKS.md; also writes them to end2end/artifacts/bench.json.
// Nothing here is a timed assertion.
import { test, expect, BrowserContext, Page, CDPSession } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { ReceivePage, SendPage, hydrated } from "../tests/fixtures/pages";
import { browserProcess, residentGrowth } from "../tests/fixtures/process";
import { browserMarker } from "./env";
import { textShare } from "../tests/fixtures/api";
import { artifactsDir, randomFile, readZip, removeDir, sha256File, tempDir } from "../tests/fixtures/files";

const results: Record<string, number | string> = {};
const ROUND_TRIP_MIB = Number(process.env.BENCH_ROUND_TRIP_MIB ?? "1024");
const MANY_FILES = Number(process.env.BENCH_FILES ?? "1000");
const MIB = 1024 * 1024;
/** How long the round trip's person waits before pressing Send, and before revealing. */
const PAUSE_MS = 1_000;

test.afterAll(() => {
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.writeFileSync(path.join(artifactsDir, "bench.json"), JSON.stringify(results, null, 2) + "\n");
  console.log("\n## web app bench results\n" + Object.entries(results).map(([k, v]) => `- ${k}: ${v}`).join("\n"));
});

/** Bytes of every response of `page` from now on: as sent, and as gzip -9 and brotli 11 would send them. */
function weigh(page: Page, cdp: CDPSession) {
  const totals = { encoded: 0, gzip: 0, brotli: 0 };
  cdp.on("Network.loadingFinished", (e: any) => {
    totals.encoded += e.encodedDataLength;
  });
  // What the same bodies would weigh compressed, whatever the server sent.
  const bodies: Promise<void>[] = [];
  page.on("response", (res) => {
    bodies.push(
      (async () => {
        const body = await res.body().catch(() => Buffer.alloc(0));
        const g = zlib.gzipSync(body, { level: 9 }).length;
        const b = zlib.brotliCompressSync(body, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
        }).length;
        totals.gzip += Math.min(g, body.length);
        totals.brotli += Math.min(b, body.length);
        const enc = res.headers()["content-encoding"] ?? "identity";
        console.log(`  ${new URL(res.url()).pathname} (${enc}): ${body.length} B decoded, gzip-9 ${g} B, brotli-11 ${b} B`);
      })(),
    );
  });
  return { totals, settled: () => Promise.all(bodies) };
}

/** Loads `url` with an empty cache until the page is hydrated and the network idle; records its weight as `what`. */
async function firstLoad(page: Page, url: string, what: string) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const { totals, settled } = weigh(page, cdp);
  await page.goto(url, { waitUntil: "networkidle" });
  await hydrated(page);
  await page.waitForTimeout(500);
  await settled();
  results[`${what}: bytes on the wire as served (KiB)`] = +(totals.encoded / 1024).toFixed(1);
  results[`${what}: if every body were gzip -9 (KiB)`] = +(totals.gzip / 1024).toFixed(1);
  results[`${what}: if every body were brotli 11 (KiB)`] = +(totals.brotli / 1024).toFixed(1);
  return totals;
}

test("first load of the send page: bytes transferred", async ({ page }) => {
  // `totals` goes on counting after the load.
  const totals = await firstLoad(page, "/", "first load of /");
  const loaded = totals.encoded;
  // The send piece of the bundle, which the form fetches when it is first used.
  await page.locator("#text-panel").focus();
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(1000);
  results["then the send piece, fetched when the form is first used (KiB)"] = +((totals.encoded - loaded) / 1024).toFixed(1);
});

test("first load of a receive link: bytes transferred", async ({ page, baseURL }) => {
  const share = await textShare(baseURL!);
  await firstLoad(page, share.share, "first load of a receive link");
});

test("seal throughput inside the page", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  const runs: number[] = await page.evaluate(async () => {
    // @ts-ignore: the page's own module, already initialised by hydration.
    const mod = await import("/pkg/onetimeshare.js");
    if (typeof mod.seal_benchmark !== "function") {
      throw new Error("no seal_benchmark in this bundle: build with `bash scripts/build-site.sh --lib-features bench`");
    }
    mod.seal_benchmark(64); // warm-up
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push(mod.seal_benchmark(512));
    return out;
  });
  runs.sort((a, b) => a - b);
  console.log(`  seal MiB/s runs: ${runs.map((r) => r.toFixed(1)).join(", ")}`);
  results["seal in page, 512 MiB, median of 3 (MiB/s)"] = +runs[1].toFixed(1);
});

/**
 * CPU-seconds the whole machine has spent busy so far (/proc/stat: user,
 * nice, system, irq and softirq, in USER_HZ = 100 ticks a second; not
 * idle, iowait or time the hypervisor took). Over a transfer on an
 * otherwise idle machine: the browser, its workers and the server.
 */
function machineCpuSeconds(): number {
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = cpu;
  return (user + nice + system + irq + softirq) / 100;
}

/** Samples JS heap + wasm memory (the page's and its workers'), and V8's view of the page's heap plus array buffers. */
function memorySampler(page: Page, cdp: CDPSession) {
  let peakHeapWasm = 0;
  let peakHeapBuffers = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const m = await page.evaluate(async () => {
          // @ts-ignore
          const mod = await import("/pkg/onetimeshare.js");
          const wasm = await mod.default();
          // @ts-ignore: Chromium only.
          const heap = performance.memory ? performance.memory.usedJSHeapSize : 0;
          return { heap, wasm: wasm.memory.buffer.byteLength };
        });
        // The workers that seal and open: the wasm memory of each.
        let workers = 0;
        for (const w of page.workers()) {
          // A worker that ends while asked never answers: give it a second.
          const asked = w
            // The memory of the bundle it seals and opens with (public/crypt-worker.js).
            // @ts-ignore
            .evaluate(() => (self.cryptMemory ? self.cryptMemory.buffer.byteLength : 0) as number)
            .catch(() => 0);
          workers += await Promise.race([asked, new Promise<number>((r) => setTimeout(() => r(0), 1_000))]);
        }
        peakHeapWasm = Math.max(peakHeapWasm, m.heap + m.wasm + workers);
        const usage: any = await cdp.send("Runtime.getHeapUsage");
        peakHeapBuffers = Math.max(peakHeapBuffers, usage.usedSize + (usage.backingStorageSize ?? 0));
      } catch {
        // navigation in progress
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { peakHeapWasm, peakHeapBuffers };
    },
  };
}

/**
 * The browser of the one-file round trip, with its own profile on disk as a
 * person's browser has (the origin private file system then lives on disk);
 * with BENCH_PRIVATE=1, a private window's context instead, which keeps that
 * file system in memory.
 */
async function roundTripContext(playwright: typeof import("@playwright/test"), use: any, profile: string) {
  let ctx: BrowserContext;
  let close: () => Promise<void>;
  if (process.env.BENCH_PRIVATE === "1") {
    const browser = await playwright.chromium.launch(use.launchOptions);
    ctx = await browser.newContext({ acceptDownloads: true, baseURL: use.baseURL });
    close = () => browser.close();
  } else {
    ctx = await playwright.chromium.launchPersistentContext(profile, {
      ...use.launchOptions,
      acceptDownloads: true,
      baseURL: use.baseURL,
    });
    close = () => ctx.close();
  }
  // BENCH_SAVE_WORKER=0: the receive page writes the file through a writable stream, as without the
  // save worker (refused at construction: a route would intercept every upload too).
  if (process.env.BENCH_SAVE_WORKER === "0") {
    await ctx.addInitScript(() => {
      const Real = window.Worker;
      // @ts-ignore: a Worker that refuses the save worker's script.
      window.Worker = function (url: string | URL, options?: WorkerOptions) {
        if (String(url).includes("save-worker")) throw new TypeError("no save worker in this run");
        return new Real(url, options);
      };
    });
  }
  return { ctx, close };
}

test(`round trip of a ${ROUND_TRIP_MIB} MiB file: wall time and peak page memory`, async ({ playwright }, testInfo) => {
  const dir = tempDir("ots-bench-");
  const { ctx, close } = await roundTripContext(playwright, testInfo.project.use, path.join(dir, "profile"));
  try {
    const { file, sha256 } = randomFile(dir, "bench.bin", ROUND_TRIP_MIB * MIB);
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    const send = new SendPage(page);
    await send.goto();
    await send.fileTab.click();
    await send.fileInput.setInputFiles(file);
    // A person takes a moment between choosing a file and pressing Send, and
    // between opening a link and revealing it; the pages start their workers
    // meanwhile. One second each, outside the measured times.
    await page.waitForTimeout(PAUSE_MS);
    let sampler = memorySampler(page, cdp);
    // The browser process holds the Blob bytes of the parts.
    const browserGrowth = residentGrowth(browserProcess(browserMarker));
    const t0 = Date.now();
    const cpu0 = machineCpuSeconds();
    // The first part's upload starts once a worker has loaded and sealed it.
    let firstPartMs = -1;
    const onRequest = (r: { method(): string; url(): string }) => {
      if (firstPartMs < 0 && r.method() === "PUT" && r.url().includes("/parts/")) firstPartMs = Date.now() - t0;
    };
    page.on("request", onRequest);
    await send.send.click();
    const links = await send.links(900_000);
    const sendSecs = (Date.now() - t0) / 1000;
    const sendCpu = machineCpuSeconds() - cpu0;
    page.off("request", onRequest);
    const sendMem = await sampler.stop();
    const browserGrown = browserGrowth.stop();

    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await page.waitForTimeout(PAUSE_MS);
    sampler = memorySampler(page, cdp);
    const t1 = Date.now();
    const cpu1 = machineCpuSeconds();
    const download = page.waitForEvent("download", { timeout: 900_000 });
    await receive.revealWith();
    const saved = await download;
    await expect(receive.saved).toBeVisible({ timeout: 900_000 });
    const receiveSecs = (Date.now() - t1) / 1000;
    const receiveCpu = machineCpuSeconds() - cpu1;
    const recvMem = await sampler.stop();
    const ok = (await sha256File(await saved.path())) === sha256;

    results[`round trip ${ROUND_TRIP_MIB} MiB: send (s)`] = +sendSecs.toFixed(1);
    results[`round trip ${ROUND_TRIP_MIB} MiB: Send to the first part's upload (ms)`] = firstPartMs;
    results[`round trip ${ROUND_TRIP_MIB} MiB: receive (s)`] = +receiveSecs.toFixed(1);
    results[`round trip ${ROUND_TRIP_MIB} MiB: total (s)`] = +(sendSecs + receiveSecs).toFixed(1);
    results[`round trip ${ROUND_TRIP_MIB} MiB: machine CPU over the send / receive (CPU-s)`] =
      `${sendCpu.toFixed(1)} / ${receiveCpu.toFixed(1)}`;
    results[`round trip ${ROUND_TRIP_MIB} MiB: peak JS heap + wasm memory (MiB)`] = +(
      Math.max(sendMem.peakHeapWasm, recvMem.peakHeapWasm) / MIB
    ).toFixed(1);
    results[`round trip ${ROUND_TRIP_MIB} MiB: peak JS heap + all array buffers (MiB)`] = +(
      Math.max(sendMem.peakHeapBuffers, recvMem.peakHeapBuffers) / MIB
    ).toFixed(1);
    results[`round trip ${ROUND_TRIP_MIB} MiB: browser process growth over the send (MiB)`] = +browserGrown.toFixed(0);
    results[`round trip ${ROUND_TRIP_MIB} MiB: sha256 identical`] = ok ? "yes" : "NO";
    results[`round trip ${ROUND_TRIP_MIB} MiB: browser profile`] =
      process.env.BENCH_PRIVATE === "1" ? "private window" : "on disk";
    results[`round trip ${ROUND_TRIP_MIB} MiB: save worker`] = process.env.BENCH_SAVE_WORKER === "0" ? "blocked" : "used";
    expect(ok).toBeTruthy();
  } finally {
    await close();
    removeDir(dir);
  }
});

test(`round trip of ${ROUND_TRIP_MIB} MiB over ${MANY_FILES} files: wall time and peak page memory`, async ({ browser }) => {
  const dir = tempDir("ots-bench-");
  const ctx = await browser.newContext({ acceptDownloads: true });
  try {
    // Sizes that differ by at most a byte and add up to exactly the total.
    const total = ROUND_TRIP_MIB * MIB;
    const folder = path.join(dir, "many");
    fs.mkdirSync(folder);
    const expected = new Map<string, string>();
    for (let i = 0; i < MANY_FILES; i++) {
      const size = Math.floor(((i + 1) * total) / MANY_FILES) - Math.floor((i * total) / MANY_FILES);
      const name = `file-${String(i).padStart(4, "0")}.bin`;
      expected.set(`many/${name}`, randomFile(folder, name, size).sha256);
    }
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    const send = new SendPage(page);
    await send.goto();
    await send.chooseFolder(folder);
    await expect(send.fileEntries).toHaveCount(MANY_FILES, { timeout: 60_000 });
    // The same pauses as the one-file round trip it is compared with.
    await page.waitForTimeout(PAUSE_MS);
    let sampler = memorySampler(page, cdp);
    const t0 = Date.now();
    await send.send.click();
    const links = await send.links(900_000);
    const sendSecs = (Date.now() - t0) / 1000;
    const sendMem = await sampler.stop();

    const receive = new ReceivePage(page);
    await receive.open(links.share);
    await page.waitForTimeout(PAUSE_MS);
    sampler = memorySampler(page, cdp);
    const t1 = Date.now();
    const cpu1 = machineCpuSeconds();
    const download = page.waitForEvent("download", { timeout: 900_000 });
    await receive.revealWith();
    const saved = await download;
    await expect(receive.saved).toBeVisible({ timeout: 900_000 });
    const receiveSecs = (Date.now() - t1) / 1000;
    const receiveCpu = machineCpuSeconds() - cpu1;
    const recvMem = await sampler.stop();
    const entries = readZip(await saved.path());
    const ok =
      entries.length === MANY_FILES && entries.every((e) => expected.get(e.name) === e.sha256);

    const key = `round trip ${ROUND_TRIP_MIB} MiB over ${MANY_FILES} files`;
    results[`${key}: send (s)`] = +sendSecs.toFixed(1);
    results[`${key}: receive (s)`] = +receiveSecs.toFixed(1);
    results[`${key}: total (s)`] = +(sendSecs + receiveSecs).toFixed(1);
    results[`${key}: peak JS heap + wasm memory (MiB)`] = +(
      Math.max(sendMem.peakHeapWasm, recvMem.peakHeapWasm) / MIB
    ).toFixed(1);
    results[`${key}: peak JS heap + all array buffers (MiB)`] = +(
      Math.max(sendMem.peakHeapBuffers, recvMem.peakHeapBuffers) / MIB
    ).toFixed(1);
    results[`${key}: every file sha256 identical`] = ok ? "yes" : "NO";
    const single = results[`round trip ${ROUND_TRIP_MIB} MiB: total (s)`];
    if (typeof single === "number") {
      results[`${key}: total / one file's total`] = +((sendSecs + receiveSecs) / single).toFixed(2);
    }
    expect(ok).toBeTruthy();
  } finally {
    await ctx.close();
    removeDir(dir);
  }
});

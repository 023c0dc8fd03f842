// The link secret K lives in the URL fragment and never leaves the browser:
// no request URL, header or body the browser sends while sending and
// receiving (texts, files in parts, a password share) contains it.
import { test, expect, BrowserContext, Request } from "@playwright/test";
import { ReceivePage, SendPage } from "./fixtures/pages";
import { removeDir, randomFile, tempDir } from "./fixtures/files";

interface Seen {
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

function record(ctx: BrowserContext, seen: Promise<Seen>[]) {
  ctx.on("request", (req: Request) => {
    seen.push(
      (async () => ({
        url: req.url(),
        headers: await req.allHeaders(),
        body: req.postDataBuffer(),
      }))(),
    );
  });
}

/** Every spelling of K a request could carry. */
function spellings(fragment: string): string[] {
  const raw = Buffer.from(fragment, "base64url");
  return [fragment, encodeURIComponent(fragment), raw.toString("base64"), raw.toString("hex")];
}

test("the fragment key never appears in any request the browser sends", async ({ browser }) => {
  test.setTimeout(180_000);
  const dir = tempDir();
  const sender = await browser.newContext();
  const recipient = await browser.newContext();
  const seen: Promise<Seen>[] = [];
  record(sender, seen);
  record(recipient, seen);
  try {
    const send = new SendPage(await sender.newPage());
    await send.goto();
    const text = await send.shareText(`private ${crypto.randomUUID()}`, { password: "pass phrase here" });
    await send.page.locator("#send-another").click();
    const { file } = randomFile(dir, "parts.bin", 9 * 1024 * 1024 + 5);
    const big = await send.shareFile(file);

    const rpage = await recipient.newPage();
    const receive = new ReceivePage(rpage);
    await receive.open(text.share);
    await receive.revealText("pass phrase here");
    await receive.open(big.share);
    const download = rpage.waitForEvent("download");
    await receive.revealWith();
    await download;
    await expect(receive.saved).toBeVisible();

    const requests = await Promise.all(seen);
    // The flows really ran through the API: creates, parts, claims, blobs.
    const api = requests.filter((r) => new URL(r.url).pathname.startsWith("/api/v1/"));
    expect(api.some((r) => r.url.includes("/parts/"))).toBeTruthy();
    expect(api.filter((r) => r.url.endsWith("/claim")).length).toBeGreaterThanOrEqual(2);
    expect(requests.some((r) => r.url.includes("/s/"))).toBeTruthy();

    for (const fragment of [text.fragment, big.fragment]) {
      expect(fragment).toHaveLength(43);
      for (const needle of spellings(fragment)) {
        for (const r of requests) {
          expect(r.url, `url ${r.url}`).not.toContain(needle);
          for (const [name, value] of Object.entries(r.headers)) {
            expect(value, `header ${name} of ${r.url}`).not.toContain(needle);
          }
          if (r.body) expect(r.body.includes(needle), `body of ${r.url}`).toBeFalsy();
        }
      }
    }
  } finally {
    await Promise.all([sender.close(), recipient.close()]);
    removeDir(dir);
  }
});

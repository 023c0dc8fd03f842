// What the bench's config, its teardown and its specs agree on.
import * as os from "node:os";
import * as path from "node:path";

export const port = Number(process.env.E2E_PORT ?? "3918");
/** The server's data directory when OTS_DATA_DIR names none; teardown.ts removes it after the run. */
export const ownDataDir = path.join(os.tmpdir(), `ots-bench-${port}`);
/** A switch Chromium ignores, given to the bench's browser so that web.bench.ts finds its process. */
export const browserMarker = `--ots-bench-browser=${port}`;

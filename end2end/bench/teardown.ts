// Removes the server's data directory after a bench run, unless OTS_DATA_DIR
// named one (then it is the caller's to keep or remove).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export default function teardown(): void {
  if (process.env.OTS_DATA_DIR !== undefined) return;
  const port = Number(process.env.E2E_PORT ?? "3918");
  fs.rmSync(path.join(os.tmpdir(), `ots-bench-${port}`), { recursive: true, force: true });
}

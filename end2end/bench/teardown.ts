// Removes the server's data directory after a bench run, unless OTS_DATA_DIR
// named one (then it is the caller's to keep or remove).
import * as fs from "node:fs";
import { ownDataDir } from "./env";

export default function teardown(): void {
  if (process.env.OTS_DATA_DIR !== undefined) return;
  fs.rmSync(ownDataDir, { recursive: true, force: true });
}

// Serves ../evcc-0.119/state.json and ../evcc-0.200/state.json as evcc's websocket welcome on
// ws://127.0.0.1:19441/ws and :19442/ws, for pollect 1.2 (which reads only the first message).
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { startFakeEvcc } from "../../fake-evcc.ts"

for (const [i, dir] of ["evcc-0.119", "evcc-0.200"].entries()) startFakeEvcc(readFileSync(join(import.meta.dir, "..", dir, "state.json"), "utf8"), 19441 + i)
setTimeout(() => process.exit(0), 15_000)

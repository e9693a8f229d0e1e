// Serves testdata/openhab-{2,3,4}/items.json as /rest/items on 127.0.0.1:19431..19433 (no token), for pollect 1.2.
import { readFileSync } from "node:fs"
import { join } from "node:path"

for (const [i, dir] of ["openhab-2", "openhab-3", "openhab-4"].entries()) {
  const body = readFileSync(join(import.meta.dir, "..", dir, "items.json"), "utf8")
  Bun.serve({ hostname: "127.0.0.1", port: 19431 + i, fetch: () => new Response(body, { headers: { "content-type": "application/json" } }) })
}
setTimeout(() => process.exit(0), 15_000)

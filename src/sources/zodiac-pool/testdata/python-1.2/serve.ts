// Serves ../alpha63/cloud.json through the test's fake cloud and prints its URL; record.sh
// points pollect 1.2 at it.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { startFakeCloud } from "../../fake-cloud.ts"

const fake = startFakeCloud(JSON.parse(readFileSync(join(import.meta.dir, "../alpha63/cloud.json"), "utf8")))
console.log(fake.url)
process.on("SIGTERM", () => fake.stop().then(() => process.exit(0)))

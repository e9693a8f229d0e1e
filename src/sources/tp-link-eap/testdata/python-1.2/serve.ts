// Serves ../eap225/device.json through the test's fake EAP (user admin, password s3cret-pass)
// and prints its URL; record.sh points pollect 1.2 at it.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { startFakeEap } from "../../fake-device.ts"

const state = JSON.parse(readFileSync(join(import.meta.dir, "../eap225/device.json"), "utf8"))
const fake = startFakeEap({ user: "admin", password: "s3cret-pass", state })
console.log(fake.url)
process.on("SIGTERM", () => fake.stop().then(() => process.exit(0)))

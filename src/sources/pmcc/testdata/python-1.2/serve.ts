// Serves ../charging/messages.json (greeting, then updates) as the fake charger's TLS websocket on
// wss://127.0.0.1:19451/ws (a throw-away self-signed certificate), for pollect 1.2.
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakePmcc } from "../../fake-device.ts"

const recorded = JSON.parse(readFileSync(join(import.meta.dir, "../charging/messages.json"), "utf8")) as { greeting: unknown[]; updates: unknown[] }
const messages = [...recorded.greeting, ...recorded.updates].map((m) => JSON.stringify(m))
const dir = mkdtempSync(join(tmpdir(), "pmcc-"))
const cert = { key: join(dir, "key.pem"), cert: join(dir, "cert.pem") }
Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", cert.key, "-out", cert.cert])
startFakePmcc(cert, messages, 19451)
setTimeout(() => process.exit(0), 15_000)

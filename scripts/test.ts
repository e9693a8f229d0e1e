/**
 * `npm test`: runs `bun test` over the whole suite and closes with the line CI reads,
 * `N passed, N failed[, N skipped]`, exiting non-zero on any failure.
 * Extra arguments go to `bun test` (a path filter, `-t name`).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const args = process.argv.slice(2)
// The tests' temp folders go into one folder of this run's, removed at its end: `bun test` fires
// no "exit" event, so the tests' own cleanup misses a folder made by a helper (a full run left
// 1,300 in /tmp), and a huge /tmp slows every later `bun` start from a checkout there.
const testTemp = mkdtempSync(join(tmpdir(), "pollect-tests-"))
// Integration tests start real servers and build binaries: 60 s each (bunfig.toml cannot set it).
const child = Bun.spawn([process.execPath, "test", "--timeout=60000", ...args], {
  stdout: "pipe",
  stderr: "pipe",
  env: { ...process.env, TMPDIR: testTemp },
})

let summary = ""
async function pipe(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) {
  const decoder = new TextDecoder()
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true })
    summary += text
    if (summary.length > 64_000) summary = summary.slice(-16_000)
    out.write(text)
  }
}
await Promise.all([pipe(child.stdout, process.stdout), pipe(child.stderr, process.stderr)])
const exitCode = await child.exited
rmSync(testTemp, { recursive: true, force: true })

const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(summary)?.[1] ?? 0)
const passed = count("pass")
const failed = count("fail") + (exitCode !== 0 && count("fail") === 0 ? 1 : 0)
const skipped = count("skip")
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`)
process.exit(exitCode === 0 && failed === 0 && passed > 0 ? 0 : 1)

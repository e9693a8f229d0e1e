/**
 * The cross-compiled linux-arm64 binary (runtime from @oven/bun-linux-aarch64 on npm) runs under
 * qemu-aarch64 with Debian's arm64 glibc as the loader root, and reports the same metrics as the
 * x64 binary on the same config.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { buildAll, TARGETS } from "../../scripts/build-all.ts"
import { tempDir } from "../helpers/context.ts"
import { itWithTools } from "../helpers/tools.ts"

const ARM64_ROOT = "/usr/aarch64-linux-gnu" // libc6-arm64-cross
const ELF_MACHINE = { "linux-x64": 62, "linux-arm64": 183 } as const // EM_X86_64, EM_AARCH64

let dir: string
let http: ReturnType<typeof Bun.serve> | undefined
let tcp: Bun.TCPSocketListener | undefined
let config: string

beforeAll(async () => {
  dir = tempDir("pollect-cross-")
  await buildAll(TARGETS.filter((t) => t.name in ELF_MACHINE), dir)
  http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") })
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (socket) => void socket.end(), data() {} } })
  tcp = listener
  config = join(dir, "config.json")
  writeFileSync(
    config,
    JSON.stringify({
      executors: [
        {
          collection: "cross",
          sources: [
            { type: "LoadAvg" },
            { type: "Http", name: "local", url: `http://127.0.0.1:${http.port}/` },
            { type: "TcpTime", name: "local", host: "127.0.0.1", port: listener.port },
          ],
        },
      ],
    }),
  )
}, 180_000)

afterAll(() => {
  http?.stop(true)
  tcp?.stop(true)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** The metric names of DryRun's `('name', (time, value))` lines, sorted. */
function dryRunNames(stdout: string): string[] {
  return [...stdout.matchAll(/\('([^']+)', \(\d+, /g)].map((m) => m[1]!).sort()
}

async function runDry(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([...argv, "--config", config, "--once", "--dry-run"], { stdout: "pipe", stderr: "pipe" })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

describe("cross-compiled binaries", () => {
  itWithTools(
    ["qemu-aarch64"],
    "linux-arm64 runs --once --dry-run under qemu-aarch64 and prints the same names as linux-x64",
    async () => {
      if (!existsSync(join(ARM64_ROOT, "lib", "ld-linux-aarch64.so.1"))) throw new Error(`${ARM64_ROOT} is missing: install libc6-arm64-cross`)
      for (const [name, machine] of Object.entries(ELF_MACHINE)) {
        expect(readFileSync(join(dir, `pollect-${name}`)).readUInt16LE(18)).toBe(machine)
      }
      const x64 = await runDry([join(dir, "pollect-linux-x64")])
      const arm64 = await runDry(["qemu-aarch64", "-L", ARM64_ROOT, join(dir, "pollect-linux-arm64")])
      expect(x64.code).toBe(0)
      expect(arm64.code).toBe(0)
      const names = dryRunNames(x64.stdout)
      expect(names).toEqual(expect.arrayContaining(["cross.loadavg.short", "cross.loadavg.mid", "cross.loadavg.long", "cross.http.local", "cross.tcptime.local"]))
      expect(dryRunNames(arm64.stdout)).toEqual(names)
    },
    60_000,
  )
})

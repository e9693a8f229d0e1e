/**
 * `npm run build:all` (every target, runtimes from the npm registry) once for the file: each binary
 * is an executable of its OS/CPU/libc, SHA256SUMS checks out with sha256sum, and the linux-arm64
 * binary runs under qemu-aarch64 (Debian's arm64 glibc as the loader root) reporting the same
 * metrics as the x64 binary on the same config.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { buildAll, TARGETS } from "../../scripts/build-all.ts"
import { tempDir } from "../helpers/context.ts"
import { itWithTools } from "../helpers/tools.ts"

const ARM64_ROOT = "/usr/aarch64-linux-gnu" // libc6-arm64-cross
const ELF_MACHINE = { "linux-x64": 62, "linux-arm64": 183 } as const // EM_X86_64, EM_AARCH64

/** What each binary must be: ELF with this CPU and loader, or Mach-O 64 with this CPU. */
const EXPECTED: Record<string, { elf: number; interpreter: string } | { machoCpu: number }> = {
  "linux-x64": { elf: 62, interpreter: "/lib64/ld-linux-x86-64.so.2" },
  "linux-x64-baseline": { elf: 62, interpreter: "/lib64/ld-linux-x86-64.so.2" },
  "linux-arm64": { elf: 183, interpreter: "/lib/ld-linux-aarch64.so.1" },
  "linux-x64-musl": { elf: 62, interpreter: "/lib/ld-musl-x86_64.so.1" },
  "linux-arm64-musl": { elf: 183, interpreter: "/lib/ld-musl-aarch64.so.1" },
  "darwin-x64": { machoCpu: 0x01000007 }, // CPU_TYPE_X86_64
  "darwin-arm64": { machoCpu: 0x0100000c }, // CPU_TYPE_ARM64
}

/** The kind of executable in `header` (the first bytes of a file): ELF machine + PT_INTERP, or Mach-O CPU. */
function executableKind(header: Buffer): { elf: number; interpreter: string } | { machoCpu: number } | null {
  if (header.readUInt32BE(0) === 0x7f454c46) {
    const phoff = Number(header.readBigUInt64LE(32))
    const phentsize = header.readUInt16LE(54)
    let interpreter = ""
    for (let i = 0; i < header.readUInt16LE(56); i++) {
      const ph = phoff + i * phentsize
      if (header.readUInt32LE(ph) !== 3) continue // PT_INTERP
      const offset = Number(header.readBigUInt64LE(ph + 8))
      interpreter = header.subarray(offset, offset + Number(header.readBigUInt64LE(ph + 32)) - 1).toString()
    }
    return { elf: header.readUInt16LE(18), interpreter }
  }
  if (header.readUInt32LE(0) === 0xfeedfacf) return { machoCpu: header.readUInt32LE(4) }
  return null
}

let dir: string
let http: ReturnType<typeof Bun.serve> | undefined
let tcp: Bun.TCPSocketListener | undefined
let config: string

beforeAll(async () => {
  dir = tempDir("pollect-cross-")
  await buildAll(TARGETS, dir)
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
  it("builds every target as an executable of its OS, CPU and libc", async () => {
    expect(TARGETS.map((t) => t.name).sort()).toEqual(Object.keys(EXPECTED).sort())
    for (const target of TARGETS) {
      const header = Buffer.from(
        await Bun.file(join(dir, `pollect-${target.name}`))
          .slice(0, 65536)
          .arrayBuffer(),
      )
      expect({ target: target.name, kind: executableKind(header) }).toEqual({ target: target.name, kind: EXPECTED[target.name]! })
    }
  })

  itWithTools(["sha256sum"], "writes SHA256SUMS that sha256sum -c accepts for every binary", async () => {
    const child = Bun.spawn(["sha256sum", "-c", "SHA256SUMS"], { cwd: dir, stdout: "pipe", stderr: "pipe" })
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
    expect(code).toBe(0)
    expect(stdout.trim().split("\n").sort()).toEqual(TARGETS.map((t) => `pollect-${t.name}: OK`).sort())
  })

  itWithTools(
    ["qemu-aarch64"],
    "linux-arm64 runs --once --dry-run under qemu-aarch64 and prints the same names as linux-x64",
    async () => {
      if (!existsSync(join(ARM64_ROOT, "lib", "ld-linux-aarch64.so.1")))
        throw new Error(`${ARM64_ROOT} is missing: install libc6-arm64-cross`)
      for (const [name, machine] of Object.entries(ELF_MACHINE)) {
        expect(readFileSync(join(dir, `pollect-${name}`)).readUInt16LE(18)).toBe(machine)
      }
      const x64 = await runDry([join(dir, "pollect-linux-x64")])
      const arm64 = await runDry(["qemu-aarch64", "-L", ARM64_ROOT, join(dir, "pollect-linux-arm64")])
      expect(x64.code).toBe(0)
      expect(arm64.code).toBe(0)
      const names = dryRunNames(x64.stdout)
      expect(names).toEqual(
        expect.arrayContaining([
          "cross.loadavg.short",
          "cross.loadavg.mid",
          "cross.loadavg.long",
          "cross.http.local",
          "cross.tcptime.local",
        ]),
      )
      expect(dryRunNames(arm64.stdout)).toEqual(names)
    },
    60_000,
  )
})

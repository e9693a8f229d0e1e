/**
 * install.sh end to end: a release (the freshly built binary of this machine and its SHA256SUMS)
 * served over HTTP on loopback, installed with POLLECT_BASE_URL into a temp root under `dash`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test"
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs"
import { join, relative } from "node:path"
import { buildAll, TARGETS } from "../../scripts/build-all.ts"
import { tempDir } from "../helpers/context.ts"
import { findTool, itWithTools } from "../helpers/tools.ts"

const REPO = join(import.meta.dir, "..", "..")
const INSTALL_SH = join(REPO, "install.sh")
// What install.sh must pick on this machine (glibc x64; baseline without AVX2).
const TARGET = /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8")) ? "linux-x64" : "linux-x64-baseline"

let release: string
let server: ReturnType<typeof Bun.serve> | undefined
let base: string
const roots: string[] = []

beforeAll(async () => {
  release = tempDir("pollect-release-")
  await buildAll(
    TARGETS.filter((t) => t.name === TARGET),
    release,
  )
  // A release whose binary was changed after SHA256SUMS was written.
  mkdirSync(join(release, "tampered"))
  copyFileSync(join(release, `pollect-${TARGET}`), join(release, "tampered", `pollect-${TARGET}`))
  appendFileSync(join(release, "tampered", `pollect-${TARGET}`), "x")
  copyFileSync(join(release, "SHA256SUMS"), join(release, "tampered", "SHA256SUMS"))
  // A release without this target in SHA256SUMS.
  mkdirSync(join(release, "unlisted"))
  copyFileSync(join(release, `pollect-${TARGET}`), join(release, "unlisted", `pollect-${TARGET}`))
  writeFileSync(join(release, "unlisted", "SHA256SUMS"), `${"0".repeat(64)}  pollect-darwin-arm64\n`)
  // A musl release (this machine's binary under the musl name): install.sh must ask for libstdc++.
  mkdirSync(join(release, "musl"))
  copyFileSync(join(release, `pollect-${TARGET}`), join(release, "musl", "pollect-linux-x64-musl"))
  writeFileSync(
    join(release, "musl", "SHA256SUMS"),
    read(join(release, "SHA256SUMS")).replace(`pollect-${TARGET}`, "pollect-linux-x64-musl"),
  )
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const file = Bun.file(join(release, decodeURIComponent(new URL(request.url).pathname)))
      return (await file.exists()) ? new Response(file) : new Response("not found", { status: 404 })
    },
  })
  base = `http://127.0.0.1:${server.port}`
}, 180_000)

// Each root holds a ~110 MB binary: remove them as soon as their test is done.
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true })
})

afterAll(() => {
  server?.stop(true)
  if (release) rmSync(release, { recursive: true, force: true })
})

function newRoot(): string {
  const root = tempDir("pollect-root-")
  roots.push(root)
  return root
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function sh(argv: string[], env: Record<string, string>): Promise<Run> {
  const child = Bun.spawn(argv, { cwd: REPO, env, stdout: "pipe", stderr: "pipe" })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

/** Runs install.sh under dash with only the given POLLECT_* settings (none leak in from outside). */
function installSh(env: Record<string, string>, args: string[] = []): Promise<Run> {
  return sh([findTool("dash") ?? "dash", INSTALL_SH, ...args], {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    POLLECT_BASE_URL: base,
    ...env,
  })
}

/** Every file under `root`, relative, sorted. */
function filesUnder(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((p) => statSync(join(root, p)).isFile())
    .map((p) => relative(root, join(root, p)))
    .sort()
}

const read = (path: string) => readFileSync(path, "utf8")

async function defaultConfigOf(binary: string): Promise<unknown> {
  const run = await sh([binary, "default-config"], { PATH: process.env.PATH ?? "" })
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout)
}

describe("install.sh", () => {
  itWithTools(["dash"], "installs the checksummed binary, the default config and a systemd unit; the binary runs", async () => {
    const root = newRoot()
    const run = await installSh({ POLLECT_ROOT: root, POLLECT_INIT: "systemd" })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`downloading pollect-${TARGET} from ${base}`)
    expect(run.stdout).toContain("sha256 OK")
    expect(filesUnder(root)).toEqual(["etc/pollect/config.json", "etc/systemd/system/pollect.service", "usr/local/bin/pollect"])

    const binary = join(root, "usr/local/bin/pollect")
    expect(statSync(binary).mode & 0o777).toBe(0o755)
    expect(readFileSync(binary).equals(readFileSync(join(release, `pollect-${TARGET}`)))).toBe(true)
    // The embedded default, plus the state dir the hardened service may write to.
    expect(JSON.parse(read(join(root, "etc/pollect/config.json")))).toEqual({
      stateDir: "/var/lib/pollect",
      ...((await defaultConfigOf(binary)) as object),
    })
    expect(read(join(root, "etc/systemd/system/pollect.service"))).toBe(read(join(REPO, "packaging/pollect.service")))

    const dry = await sh([binary, "--config", join(root, "etc/pollect/config.json"), "--once", "--dry-run"], {
      PATH: process.env.PATH ?? "",
    })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain("('pollect.loadavg.short', (")
  })

  itWithTools(["dash"], "a second run upgrades in place and never overwrites the user's config", async () => {
    const root = newRoot()
    const env = { POLLECT_ROOT: root, POLLECT_INIT: "systemd" }
    expect((await installSh(env)).code).toBe(0)
    const config = join(root, "etc/pollect/config.json")
    const mine = JSON.stringify({ executors: [{ collection: "mine", sources: [{ type: "LoadAvg" }] }] })
    writeFileSync(config, mine)
    writeFileSync(join(root, "usr/local/bin/pollect"), "old version") // as if an older release were installed
    const files = filesUnder(root)

    const again = await installSh(env)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain("kept the existing /etc/pollect/config.json")
    expect(read(config)).toBe(mine)
    expect(filesUnder(root)).toEqual(files)
    expect(readFileSync(join(root, "usr/local/bin/pollect")).equals(readFileSync(join(release, `pollect-${TARGET}`)))).toBe(true)
    expect(filesUnder(root).some((f) => f.includes(".new."))).toBe(false)
  })

  itWithTools(["dash"], "refuses a binary whose sha256 does not match SHA256SUMS and installs nothing", async () => {
    const root = newRoot()
    const run = await installSh({ POLLECT_ROOT: root, POLLECT_INIT: "systemd", POLLECT_BASE_URL: `${base}/tampered` })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(`checksum mismatch for pollect-${TARGET}`)
    expect(filesUnder(root)).toEqual([])
  })

  itWithTools(["dash"], "refuses a release whose SHA256SUMS lacks the target", async () => {
    const root = newRoot()
    const run = await installSh({ POLLECT_ROOT: root, POLLECT_BASE_URL: `${base}/unlisted` })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(`SHA256SUMS has no line for pollect-${TARGET}`)
    expect(filesUnder(root)).toEqual([])
  })

  itWithTools(["dash"], "fails clearly when the release is not there", async () => {
    const root = newRoot()
    const run = await installSh({ POLLECT_ROOT: root, POLLECT_BASE_URL: `${base}/v9.9.9` })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(`download failed: ${base}/v9.9.9/pollect-${TARGET}`)
    expect(filesUnder(root)).toEqual([])
  })

  for (const [arch, says] of [
    ["armv7l", "32-bit ARM ('armv7l') cannot run Bun binaries"],
    ["mips", "MIPS ('mips') cannot run Bun binaries"],
    ["i686", "32-bit x86 ('i686') cannot run Bun binaries"],
    ["riscv64", "unsupported CPU 'riscv64'"],
  ] as const) {
    itWithTools(["dash"], `refuses ${arch}: ${says}`, async () => {
      const root = newRoot()
      const run = await installSh({ POLLECT_ROOT: root, POLLECT_ARCH: arch })
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(says)
      expect(filesUnder(root)).toEqual([])
    })
  }

  it.skipIf(existsSync("/usr/lib/libstdc++.so.6") || existsSync("/lib/libstdc++.so.6"))(
    "asks for libstdc++ before installing a musl build on a system without it",
    async () => {
      const root = newRoot()
      const run = await installSh({ POLLECT_ROOT: root, POLLECT_TARGET: "linux-x64-musl", POLLECT_BASE_URL: `${base}/musl` })
      expect(run.code).toBe(1)
      expect(run.stderr).toContain("pollect-linux-x64-musl needs libstdc++: apk add libstdc++")
      expect(filesUnder(root)).toEqual([])
    },
  )

  itWithTools(["dash"], "--uninstall removes the binary, the service and the state dir, keeps the config", async () => {
    for (const init of ["systemd", "openrc", "procd"]) {
      const root = newRoot()
      expect((await installSh({ POLLECT_ROOT: root, POLLECT_INIT: init })).code).toBe(0)
      const run = await installSh({ POLLECT_ROOT: root }, ["--uninstall"])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`removed the ${init} service`)
      expect(filesUnder(root)).toEqual(["etc/pollect/config.json"])
      expect(existsSync(join(root, "var/lib/pollect"))).toBe(false)
    }
  })

  itWithTools(["dash"], "--uninstall leaves an /etc/init.d/pollect it did not write", async () => {
    const root = newRoot()
    mkdirSync(join(root, "etc/init.d"), { recursive: true })
    writeFileSync(join(root, "etc/init.d/pollect"), "#!/bin/sh\n# someone else's\n")
    const run = await installSh({ POLLECT_ROOT: root }, ["--uninstall"])
    expect(run.code).toBe(0)
    expect(filesUnder(root)).toEqual(["etc/init.d/pollect"])
  })

  itWithTools(["dash"], "installs the OpenRC and procd scripts of packaging/ with the state dir; they parse as sh", async () => {
    for (const init of ["openrc", "procd"]) {
      const root = newRoot()
      const run = await installSh({ POLLECT_ROOT: root, POLLECT_INIT: init })
      expect(run.code).toBe(0)
      const script = join(root, "etc/init.d/pollect")
      expect(read(script)).toBe(read(join(REPO, `packaging/pollect.${init}`)))
      expect(statSync(script).mode & 0o777).toBe(0o755)
      expect(statSync(join(root, "var/lib/pollect")).isDirectory()).toBe(true)
      expect((await sh(["dash", "-n", script], {})).code).toBe(0)
    }
  })

  itWithTools(["dash"], "POLLECT_INSTALL_DIR and POLLECT_CONFIG_DIR move the files and the unit follows", async () => {
    const root = newRoot()
    const run = await installSh({
      POLLECT_ROOT: root,
      POLLECT_INIT: "systemd",
      POLLECT_INSTALL_DIR: "/opt/pollect/bin",
      POLLECT_CONFIG_DIR: "/opt/pollect/etc",
    })
    expect(run.code).toBe(0)
    expect(filesUnder(root)).toEqual(["etc/systemd/system/pollect.service", "opt/pollect/bin/pollect", "opt/pollect/etc/config.json"])
    expect(read(join(root, "etc/systemd/system/pollect.service"))).toContain(
      "ExecStart=/opt/pollect/bin/pollect --config /opt/pollect/etc/config.json\n",
    )
  })

  itWithTools(["dash"], "POLLECT_NO_SERVICE=1 installs no service", async () => {
    const root = newRoot()
    const run = await installSh({ POLLECT_ROOT: root, POLLECT_INIT: "systemd", POLLECT_NO_SERVICE: "1" })
    expect(run.code).toBe(0)
    expect(filesUnder(root)).toEqual(["etc/pollect/config.json", "usr/local/bin/pollect"])
  })

  itWithTools(["dash", "wget"], "downloads with wget when told to (hosts without curl)", async () => {
    const root = newRoot()
    const run = await installSh({ POLLECT_ROOT: root, POLLECT_NO_SERVICE: "1", POLLECT_DOWNLOADER: "wget" })
    expect(run.code).toBe(0)
    expect(readFileSync(join(root, "usr/local/bin/pollect")).equals(readFileSync(join(release, `pollect-${TARGET}`)))).toBe(true)
  })

  itWithTools(["dash", "openssl", "curl"], "verifies with openssl where sha256sum and shasum are missing", async () => {
    // A PATH with only the tools install.sh needs, minus sha256sum and shasum.
    const bin = newRoot()
    for (const tool of [
      "uname",
      "mkdir",
      "cat",
      "chmod",
      "mv",
      "rm",
      "sed",
      "awk",
      "cut",
      "grep",
      "ls",
      "dirname",
      "mktemp",
      "getconf",
      "curl",
      "openssl",
    ]) {
      const path = findTool(tool)
      if (path) symlinkSync(path, join(bin, tool))
    }
    const root = newRoot()
    const run = await installSh({ POLLECT_ROOT: root, POLLECT_NO_SERVICE: "1", PATH: bin })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const tampered = await installSh({ POLLECT_ROOT: newRoot(), POLLECT_NO_SERVICE: "1", PATH: bin, POLLECT_BASE_URL: `${base}/tampered` })
    expect(tampered.stderr).toContain("checksum mismatch")
  })
})

describe("install.sh source", () => {
  it("embeds packaging/ verbatim (scripts/embed-packaging.sh regenerates it)", () => {
    const script = read(INSTALL_SH)
    for (const [tag, file] of [
      ["POLLECT_SYSTEMD_UNIT", "pollect.service"],
      ["POLLECT_OPENRC_SCRIPT", "pollect.openrc"],
      ["POLLECT_PROCD_SCRIPT", "pollect.procd"],
    ]) {
      const embedded = new RegExp(`<<'${tag}'\\n([\\s\\S]*?)^${tag}$`, "m").exec(script)?.[1]
      expect(embedded).toBe(read(join(REPO, "packaging", file!)))
    }
  })

  it("calls main on its last line only, so a partial download runs nothing", () => {
    const lines = read(INSTALL_SH).trimEnd().split("\n")
    expect(lines.at(-1)).toBe('main "$@"')
    expect(lines.filter((l) => l.startsWith("main "))).toEqual(['main "$@"'])
  })

  itWithTools(["shellcheck"], "passes shellcheck as POSIX sh", async () => {
    const run = await sh(["shellcheck", "--shell=sh", INSTALL_SH, join(REPO, "scripts/embed-packaging.sh")], {
      PATH: process.env.PATH ?? "",
    })
    expect(run.stdout + run.stderr).toBe("")
    expect(run.code).toBe(0)
  })

  itWithTools(["systemd-analyze"], "the systemd unit passes systemd-analyze verify", async () => {
    const dir = newRoot()
    const binary = join(dir, "pollect")
    writeFileSync(binary, "#!/bin/sh\n", { mode: 0o755 })
    const unit = join(dir, "pollect.service")
    writeFileSync(unit, read(join(REPO, "packaging/pollect.service")).replace("/usr/local/bin/pollect", binary))
    const run = await sh(["systemd-analyze", "verify", unit], { PATH: process.env.PATH ?? "", SYSTEMD_LOG_LEVEL: "notice" })
    // It also warns about other units on the host; only lines about ours count.
    expect(run.stderr.split("\n").filter((l) => l.includes("pollect.service"))).toEqual([])
    expect(run.code).toBe(0)
  })
})

/**
 * `npm run build:all`: one executable per release target in dist/ (`pollect-<os>-<arch>[-baseline][-musl]`)
 * and `dist/SHA256SUMS` (sha256sum format), which install.sh checks.
 *
 * `bun build --compile --target=X` downloads X's Bun runtime from GitHub unless it is given one with
 * `--compile-executable-path`. We give it one: the runtime of X published on the npm registry as
 * `@oven/bun-<os>-<arch>` (the same packages `npm install bun` picks from), fetched with `npm pack`
 * into node_modules/.cache, at exactly the version of the Bun that compiles (bytecode is tied to it).
 *
 *   bun scripts/build-all.ts [--targets linux-x64,linux-arm64] [--outdir dist]
 */
import { mkdirSync, renameSync, rmSync, existsSync, mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { compile, withBytecodeOrder } from "./build.ts"

export interface Target {
  /** Our name, the binary is `pollect-<name>`. */
  name: string
  /** `bun build --target`. */
  bunTarget: string
  /** The npm package holding this target's Bun runtime at `package/bin/bun`. */
  npmPackage: string
}

export const TARGETS: readonly Target[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", npmPackage: "@oven/bun-linux-x64" },
  { name: "linux-x64-baseline", bunTarget: "bun-linux-x64-baseline", npmPackage: "@oven/bun-linux-x64-baseline" },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", npmPackage: "@oven/bun-linux-aarch64" },
  { name: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", npmPackage: "@oven/bun-linux-x64-musl" },
  { name: "linux-arm64-musl", bunTarget: "bun-linux-arm64-musl", npmPackage: "@oven/bun-linux-aarch64-musl" },
  { name: "darwin-arm64", bunTarget: "bun-darwin-arm64", npmPackage: "@oven/bun-darwin-aarch64" },
  { name: "darwin-x64", bunTarget: "bun-darwin-x64", npmPackage: "@oven/bun-darwin-x64" },
]

const ROOT = resolve(new URL("..", import.meta.url).pathname)
export const RUNTIME_CACHE = join(ROOT, "node_modules", ".cache", "pollect-bun-runtimes")

async function run(argv: string[], cwd?: string): Promise<string> {
  const child = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (exit ${code}): ${err.trim().split("\n").slice(-5).join("\n")}`)
  return out
}

/** The path of `target`'s Bun runtime at `version`, fetched from the npm registry once and cached. */
export async function fetchRuntime(target: Target, version = Bun.version, cacheDir = RUNTIME_CACHE): Promise<string> {
  const dir = join(cacheDir, version, target.npmPackage.replace("/", "+"))
  const executable = join(dir, "bun")
  if (existsSync(executable)) return executable
  mkdirSync(join(cacheDir, version), { recursive: true })
  const work = mkdtempSync(join(tmpdir(), "pollect-runtime-"))
  try {
    // npm pack checks the tarball against the registry's integrity hash; it ignores os/cpu, which
    // is what we want (an arm64 runtime on an x64 build host).
    const packed = JSON.parse(
      await run(["npm", "pack", `${target.npmPackage}@${version}`, "--json", "--pack-destination", work], work),
    ) as { filename: string }[]
    const tarball = packed[0]?.filename
    if (!tarball) throw new Error(`npm pack ${target.npmPackage}@${version} returned no tarball`)
    await run(["tar", "-xzf", join(work, tarball), "-C", work, "package/bin/bun"])
    mkdirSync(join(work, "out"))
    renameSync(join(work, "package", "bin", "bun"), join(work, "out", "bun"))
    rmSync(dir, { recursive: true, force: true })
    renameSync(join(work, "out"), dir) // atomic: a half-extracted runtime is never cached
    return executable
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

export async function sha256File(file: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256")
  for await (const chunk of Bun.file(file).stream()) hasher.update(chunk)
  return hasher.digest("hex")
}

export interface Built {
  target: string
  file: string
  bytes: number
  sha256: string
  bytecode: boolean
}

/** Builds `targets` into `outdir` and writes `outdir/SHA256SUMS` for the binaries built. */
export async function buildAll(targets: readonly Target[] = TARGETS, outdir = join(ROOT, "dist")): Promise<Built[]> {
  mkdirSync(outdir, { recursive: true })
  // Fetch every runtime first (network in parallel), then compile one by one (CPU and disk bound).
  const runtimes = await Promise.all(targets.map((t) => fetchRuntime(t)))
  // One bytecode order, recorded with a binary for this machine, lays out every target's binary.
  const built = await withBytecodeOrder(async (order) => {
    const done: Built[] = []
    for (const [i, target] of targets.entries()) {
      const file = join(outdir, `pollect-${target.name}`)
      let bytecode = true
      try {
        await compile(file, target.bunTarget, { executablePath: runtimes[i], order })
      } catch {
        // Bytecode is made by the host's JavaScriptCore; should a target refuse it, ship it without.
        console.warn(`${target.name}: build with --bytecode failed, building without`)
        bytecode = false
        await compile(file, target.bunTarget, { executablePath: runtimes[i], bytecode: false })
      }
      done.push({ target: target.name, file, bytes: statSync(file).size, sha256: await sha256File(file), bytecode })
    }
    return done
  })
  const sums = [...built].sort((a, b) => a.target.localeCompare(b.target)).map((b) => `${b.sha256}  pollect-${b.target}\n`)
  await Bun.write(join(outdir, "SHA256SUMS"), sums.join(""))
  return built
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { targets: { type: "string" }, outdir: { type: "string", default: "dist" } },
  })
  const wanted = values.targets?.split(",").map((s) => s.trim())
  const unknown = wanted?.filter((name) => !TARGETS.some((t) => t.name === name)) ?? []
  if (unknown.length) {
    console.error(`unknown target(s): ${unknown.join(", ")}; known: ${TARGETS.map((t) => t.name).join(", ")}`)
    process.exit(2)
  }
  const started = performance.now()
  const built = await buildAll(wanted ? TARGETS.filter((t) => wanted.includes(t.name)) : TARGETS, resolve(values.outdir!))
  for (const b of built)
    console.log(`${`pollect-${b.target}`.padEnd(28)} ${(b.bytes / 1e6).toFixed(1).padStart(6)} MB${b.bytecode ? "" : "  (no bytecode)"}`)
  console.log(`${built.length} binaries and SHA256SUMS in ${values.outdir} (${((performance.now() - started) / 1000).toFixed(1)} s)`)
}

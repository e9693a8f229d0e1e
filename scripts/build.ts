/**
 * `npm run build`: the product, one self-contained executable `dist/pollect` for this machine,
 * made by `bun build --compile` (minified, with bytecode for a fast start).
 * The bundle is ESM split into chunks (`--splitting`): every lazily `require()`d module (each
 * plugin's options and implementation, core/registry.ts) is a chunk of its own, loaded at that
 * call, with its `import`s of Node built-ins. So a config evaluates, and keeps resident, the bytecode
 * of its own plugins only (an unsplit ESM bundle hoisted every built-in import to its top; an
 * unsplit CommonJS bundle kept one bytecode blob for all plugins: 2 MB more RSS, bench/RESULTS.md).
 * The build runs twice: the first binary is run on a daemon's workloads to record which functions
 * run (scripts/bytecode-order.ts), the second is laid out by that order (`--bytecode-order`).
 * `bun scripts/build.ts --target bun-linux-arm64 --outfile dist/pollect-linux-arm64` builds another.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { recordBytecodeOrder } from "./bytecode-order.ts"

/** How the product's bundle is made, with or without `--compile` (test/bundle-chunks.test.ts bundles with these). */
export const BUNDLE_FLAGS = ["--minify", "--format=esm", "--splitting"] as const

/**
 * `executablePath`: the Bun runtime of `target` to embed (scripts/build-all.ts fetches it from npm),
 * so `bun build` never downloads one. `bytecode: false` for targets where bytecode fails.
 * `order`: bytecode order files (scripts/bytecode-order.ts), most important first.
 */
export async function compile(
  outfile: string,
  target?: string,
  options: { executablePath?: string; bytecode?: boolean; order?: readonly string[] } = {},
): Promise<void> {
  // A standalone Bun executable would otherwise read `.env` and `bunfig.toml` from its working
  // directory at start: a bunfig.toml there with `preload = ["./x.ts"]` ran that code inside
  // pollect, and a `.env` there changed what ${VAR} in the config expands to.
  const argv = [
    process.execPath,
    "build",
    "src/main.ts",
    "--compile",
    ...BUNDLE_FLAGS,
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    "--outfile",
    outfile,
  ]
  if (options.bytecode ?? true) {
    argv.push("--bytecode")
    if (options.order?.length) argv.push(`--bytecode-order=${options.order.join(",")}`)
  }
  if (target) argv.push(`--target=${target}`)
  if (options.executablePath) argv.push(`--compile-executable-path=${options.executablePath}`)
  const child = Bun.spawn(argv, { stdout: "inherit", stderr: "inherit", cwd: new URL("..", import.meta.url).pathname })
  if ((await child.exited) !== 0) throw new Error(`bun build failed for ${target ?? "this machine"}`)
}

/**
 * Compiles a first binary for this machine, records its bytecode order on the workloads of
 * scripts/bytecode-order.ts and gives `build` the order files (removed when it is done). The
 * order names functions of the bundle, whatever the target, so one recording serves every target
 * (scripts/build-all.ts).
 */
export async function withBytecodeOrder<T>(build: (order: readonly string[]) => Promise<T>): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), "pollect-order-"))
  try {
    const first = join(work, "pollect")
    await compile(first)
    return await build(await recordBytecodeOrder(first, work))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  // Parsed here, not on import: scripts/build-all.ts imports compile() with its own arguments.
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { target: { type: "string" }, outfile: { type: "string", default: "dist/pollect" } },
  })
  if (values.target) await compile(values.outfile!, values.target)
  else await withBytecodeOrder((order) => compile(values.outfile!, undefined, { order }))
}

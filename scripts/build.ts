/**
 * `npm run build`: the product, one self-contained executable `dist/pollect` for this machine,
 * made by `bun build --compile` (minified, with bytecode for a fast start).
 * The bundle is CommonJS: an ESM bundle hoists every module's `import` of a Node built-in to its
 * top, so node:net, tls, crypto, zlib and dgram were evaluated at every start even though only
 * the plugins that use them need them; in a CommonJS bundle each lazily required module imports
 * its built-ins when it is first required (2.7 MB less RSS for a LoadAvg config, bench/RESULTS.md).
 * `bun scripts/build.ts --target bun-linux-arm64 --outfile dist/pollect-linux-arm64` builds another.
 */
import { parseArgs } from "node:util"

/**
 * `executablePath`: the Bun runtime of `target` to embed (scripts/build-all.ts fetches it from npm),
 * so `bun build` never downloads one. `bytecode: false` for targets where bytecode fails.
 */
export async function compile(
  outfile: string,
  target?: string,
  options: { executablePath?: string; bytecode?: boolean } = {},
): Promise<void> {
  // A standalone Bun executable would otherwise read `.env` and `bunfig.toml` from its working
  // directory at start: a bunfig.toml there with `preload = ["./x.ts"]` ran that code inside
  // pollect, and a `.env` there changed what ${VAR} in the config expands to.
  const argv = [
    process.execPath,
    "build",
    "src/main.ts",
    "--compile",
    "--minify",
    "--format=cjs",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    "--outfile",
    outfile,
  ]
  if (options.bytecode ?? true) argv.push("--bytecode")
  if (target) argv.push(`--target=${target}`)
  if (options.executablePath) argv.push(`--compile-executable-path=${options.executablePath}`)
  const child = Bun.spawn(argv, { stdout: "inherit", stderr: "inherit", cwd: new URL("..", import.meta.url).pathname })
  if ((await child.exited) !== 0) throw new Error(`bun build failed for ${target ?? "this machine"}`)
}

if (import.meta.main) {
  // Parsed here, not on import: scripts/build-all.ts imports compile() with its own arguments.
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { target: { type: "string" }, outfile: { type: "string", default: "dist/pollect" } },
  })
  await compile(values.outfile!, values.target)
}

/**
 * `npm run build`: the product, one self-contained executable `dist/pollect` for this machine,
 * made by `bun build --compile` (minified, with bytecode for a fast start).
 * `bun scripts/build.ts --target bun-linux-arm64 --outfile dist/pollect-linux-arm64` builds another.
 */
import { parseArgs } from "node:util"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { target: { type: "string" }, outfile: { type: "string", default: "dist/pollect" } },
})

export async function compile(outfile: string, target?: string): Promise<void> {
  const argv = [process.execPath, "build", "src/main.ts", "--compile", "--minify", "--bytecode", "--format=esm", "--outfile", outfile]
  if (target) argv.push(`--target=${target}`)
  const child = Bun.spawn(argv, { stdout: "inherit", stderr: "inherit", cwd: new URL("..", import.meta.url).pathname })
  if ((await child.exited) !== 0) throw new Error(`bun build failed for ${target ?? "this machine"}`)
}

if (import.meta.main) await compile(values.outfile!, values.target)

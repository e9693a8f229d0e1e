/**
 * The bytecode order of the compiled binary: which of its functions a daemon runs, most used
 * first, so `bun build --bytecode-order` lays their bytecode out together at the front of the
 * executable and a running pollect touches (and keeps resident) fewer of its pages (about 2 MB
 * less RSS for the embedded default config, bench/RESULTS.md "Footprint, third part").
 *
 * A binary records its order when started with `BUN_BYTECODE_ORDER_OUT=<file>`: it writes the
 * file on exit. scripts/build.ts compiles once, runs that binary on the workloads below, and
 * compiles again with the files. Functions no workload runs keep their place after these, so an
 * order only moves bytes: every plugin works the same with or without one.
 *
 *   const files = await recordBytecodeOrder("dist/pollect", workDir)
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { DEFAULT_CONFIG } from "../src/config/default.ts"

/** A loopback port nobody listens on now. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

async function until(what: string, deadlineMs: number, probe: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + deadlineMs
  while (Date.now() < end) {
    if (await probe().catch(() => false)) return
    await Bun.sleep(50)
  }
  throw new Error(`bytecode order: ${what} within ${deadlineMs} ms`)
}

/** What a recorded run shows its driver: whether it is still running, and its standard output so far. */
interface Run {
  readonly gone: () => boolean
  readonly stdout: () => string
}

/** Runs `binary` with `args` until `drive` returns, stops it with SIGTERM and returns the order file it wrote. */
async function record(binary: string, out: string, args: string[], drive: (run: Run) => Promise<void>): Promise<string> {
  const child = Bun.spawn([binary, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, BUN_BYTECODE_ORDER_OUT: out },
  })
  const stderr = new Response(child.stderr).text()
  let stdout = ""
  let gone = false
  void child.exited.then(() => (gone = true))
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of child.stdout) stdout += decoder.decode(chunk, { stream: true })
  })()
  try {
    await drive({ gone: () => gone, stdout: () => stdout })
  } finally {
    child.kill("SIGTERM")
  }
  const code = await child.exited
  if (code !== 0) throw new Error(`bytecode order: ${binary} ${args.join(" ")} exited ${code}: ${(await stderr).trim().slice(-500)}`)
  if (!(await Bun.file(out).exists())) throw new Error(`bytecode order: ${binary} wrote no ${out}`)
  return out
}

/**
 * Runs the freshly built `binary` on what most users run and returns the order files, most
 * important first:
 * 1. the embedded default config (system sources, Prometheus exporter; on a free port here),
 *    scraped plain and gzipped, as Prometheus does in steady state;
 * 2. the seed README's shape: LoadAvg and Http sources to DryRun, one against a loopback
 *    server, one failing (nothing listens on its port).
 */
export async function recordBytecodeOrder(binary: string, workDir: string): Promise<string[]> {
  const port = freePort()
  const defaultConfig = join(workDir, "order-default.json")
  writeFileSync(defaultConfig, JSON.stringify({ ...DEFAULT_CONFIG, writer: { ...DEFAULT_CONFIG.writer, port } }))
  const exporter = await record(binary, join(workDir, "order-default.txt"), ["--config", defaultConfig], async (run) => {
    const url = `http://127.0.0.1:${port}/metrics`
    await until("the exporter serves the first tick", 15_000, async () => {
      if (run.gone()) throw new Error("bytecode order: the default config's run exited early")
      return (await (await fetch(url)).text()).includes("load")
    })
    for (const encoding of ["identity", "gzip", "identity", "gzip"])
      await (await fetch(url, { headers: { "accept-encoding": encoding } })).arrayBuffer()
  })

  const site = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") })
  try {
    const seedConfig = join(workDir, "order-seed.json")
    writeFileSync(
      seedConfig,
      JSON.stringify({
        tickTime: 30,
        executors: [
          { collection: "pollect", sources: [{ type: "LoadAvg" }] },
          {
            collection: "slowerMetrics",
            sources: [
              { type: "Http", url: `http://127.0.0.1:${site.port}/` },
              // A probe that fails (nothing listens there): the error path, logged, as a site that is down.
              // On loopback, so a build sends nothing off the machine (not even a DNS query).
              { type: "Http", url: `https://127.0.0.1:${freePort()}/` },
            ],
          },
        ],
      }),
    )
    // A daemon, as users run it (not --once, whose path skips the scheduler), until both executors printed.
    const seed = await record(binary, join(workDir, "order-seed.txt"), ["--config", seedConfig, "--dry-run"], async (run) => {
      await until("the seed config's first ticks", 15_000, async () => {
        if (run.gone()) throw new Error("bytecode order: the seed config's run exited early")
        return run.stdout().includes("pollect.loadavg") && run.stdout().includes("slowerMetrics")
      })
    })
    return [exporter, seed]
  } finally {
    site.stop(true)
  }
}

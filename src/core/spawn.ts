/**
 * Runs an external tool: an argument array (never a shell string), a deadline after which the
 * child is killed, and one clear error when the tool is not installed.
 *
 * The child runs in its own process group and the whole group gets SIGKILL at the deadline: a
 * wrapper script's own children (`sleep`, a hung helper) would otherwise keep the output pipes
 * open and the probe would wait for them long after its deadline.
 */

export interface SpawnOptions {
  /** Milliseconds until the child is killed; default 10 s. */
  timeoutMs?: number
  /** Aborting kills the child too (the probe's deadline). */
  signal?: AbortSignal
  env?: Record<string, string | undefined>
  /** Debian package that provides the tool, named in the "not found" error. */
  packageName?: string
}

export interface SpawnResult {
  stdout: string
  stderr: string
  exitCode: number
}

export class ToolNotFoundError extends Error {
  constructor(
    readonly tool: string,
    packageName?: string,
  ) {
    super(`${tool} not found on PATH${packageName ? ` (install the ${packageName} package)` : ""}`)
    this.name = "ToolNotFoundError"
  }
}

export class ToolTimeoutError extends Error {
  constructor(
    readonly tool: string,
    timeoutMs: number,
  ) {
    super(`${tool} did not finish within ${timeoutMs} ms and was killed`)
    this.name = "ToolTimeoutError"
  }
}

/** Reads a pipe to the end; `stop()` gives up on it (a killed child's pipe held open elsewhere). */
function collect(stream: ReadableStream<Uint8Array>): { text: Promise<string>; stop(): void } {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let text = ""
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        text += decoder.decode(value, { stream: true })
      }
    } catch {
      // cancelled by stop(): keep what arrived
    }
    return text + decoder.decode()
  })()
  return { text: done, stop: () => void reader.cancel().catch(() => {}) }
}

export async function spawnTool(argv: string[], options: SpawnOptions = {}): Promise<SpawnResult> {
  const [tool] = argv
  if (!tool) throw new TypeError("spawnTool: empty argument list")
  const path = tool.includes("/") ? tool : Bun.which(tool, { PATH: options.env?.PATH ?? process.env.PATH ?? "" })
  if (!path) throw new ToolNotFoundError(tool, options.packageName)
  if (options.signal?.aborted) throw options.signal.reason ?? new Error(`${tool} was aborted`)

  const timeoutMs = options.timeoutMs ?? 10_000
  let child: ReturnType<typeof spawnDetached>
  try {
    child = spawnDetached(path, argv.slice(1), options.env)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === "ENOENT") throw new ToolNotFoundError(tool, options.packageName)
    if (code === "EACCES") throw new Error(`${path} is not executable (permission denied)`)
    throw error
  }

  const stdout = collect(child.stdout)
  const stderr = collect(child.stderr)
  let killedBy: "timeout" | "abort" | undefined
  const kill = (why: "timeout" | "abort") => {
    if (killedBy) return
    killedBy = why
    try {
      process.kill(-child.pid, "SIGKILL") // the whole group: the tool and whatever it started
    } catch {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
    // Do not wait for pipes that a process outside the group may still hold.
    stdout.stop()
    stderr.stop()
  }
  const timer = setTimeout(() => kill("timeout"), timeoutMs)
  const onAbort = () => kill("abort")
  options.signal?.addEventListener("abort", onAbort, { once: true })

  try {
    const exitCode = await child.exited // Bun reaps the child here: no zombie stays behind
    const [out, err] = await Promise.all([stdout.text, stderr.text])
    if (killedBy === "timeout") throw new ToolTimeoutError(tool, timeoutMs)
    if (killedBy === "abort") throw options.signal?.reason ?? new Error(`${tool} was aborted`)
    return { stdout: out, stderr: err, exitCode }
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener("abort", onAbort)
  }
}

function spawnDetached(path: string, args: string[], env: SpawnOptions["env"]) {
  return Bun.spawn([path, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: env ? { ...process.env, ...env } : undefined,
    // Its own process group (setsid), so the deadline can kill everything the tool started.
    detached: true,
  })
}

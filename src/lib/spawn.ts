/**
 * Runs an external tool: an argument array (never a shell string), a deadline after which the
 * child is killed, and one clear error when the tool is not installed.
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
  constructor(readonly tool: string, packageName?: string) {
    super(`${tool} not found on PATH${packageName ? ` (install the ${packageName} package)` : ""}`)
    this.name = "ToolNotFoundError"
  }
}

export class ToolTimeoutError extends Error {
  constructor(readonly tool: string, timeoutMs: number) {
    super(`${tool} did not finish within ${timeoutMs} ms and was killed`)
    this.name = "ToolTimeoutError"
  }
}

export async function spawnTool(argv: string[], options: SpawnOptions = {}): Promise<SpawnResult> {
  const [tool] = argv
  if (!tool) throw new TypeError("spawnTool: empty argument list")
  const path = tool.includes("/") ? tool : Bun.which(tool, { PATH: options.env?.PATH ?? process.env.PATH })
  if (!path) throw new ToolNotFoundError(tool, options.packageName)

  const timeoutMs = options.timeoutMs ?? 10_000
  const deadline = AbortSignal.timeout(timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline
  const child = Bun.spawn([path, ...argv.slice(1)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: options.env ? { ...process.env, ...options.env } : undefined,
    signal,
    killSignal: "SIGKILL",
  })
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  if (signal.aborted) {
    if (deadline.aborted) throw new ToolTimeoutError(tool, timeoutMs)
    throw options.signal?.reason ?? new Error(`${tool} was aborted`)
  }
  return { stdout, stderr, exitCode }
}

/**
 * A supervised `zpool iostat -Hp <interval>`: started on demand, its stdout read as it comes
 * (an async reader, never blocking the event loop), each line handed to `onLine`, restarted
 * with backoff when it exits, killed with its process group on close() and reaped (no zombie).
 */

/** Restart delays: 1 s, doubled per exit that came soon after a start, at most 5 min. */
const FIRST_BACKOFF_MS = 1000
const MAX_BACKOFF_MS = 300_000
/** A child that ran this long was healthy: the next exit restarts after FIRST_BACKOFF_MS again. */
const HEALTHY_RUN_MS = 60_000
/** The stderr kept for the error message (the last bytes; zpool's messages are one line). */
const STDERR_KEEP = 1024
/** A stdout line longer than this is dropped up to its newline (no buffer grows without bound). */
const MAX_PENDING = 8192

export interface IostatChildOptions {
  /** The tool's path (found on PATH by the caller). */
  path: string
  args: string[]
  onLine(line: string): void
  /** Called when a child starts (its first lines are again since-import averages). */
  onStart(): void
  /** Called when a child exits, with a message a user can act on. */
  onExit(message: string): void
  /** Backoff overrides (tests). */
  firstBackoffMs?: number
}

export class IostatChild {
  private child: ReturnType<typeof Bun.spawn> | undefined
  private restartTimer: ReturnType<typeof setTimeout> | undefined
  private backoffMs: number
  private closed = false
  private startedAt = 0
  private running: Promise<void> | undefined
  /** Why the last child exited, until a new one prints a line. */
  lastExit: string | undefined
  /** Lines read from every child so far (tests wait on it). */
  linesRead = 0
  /** Children started so far. */
  starts = 0

  constructor(private readonly options: IostatChildOptions) {
    this.backoffMs = options.firstBackoffMs ?? FIRST_BACKOFF_MS
  }

  /** The running child's pid (tests). */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Starts the child unless it runs or a restart is pending. */
  ensure(): void {
    if (this.closed || this.child || this.restartTimer) return
    this.start()
  }

  private start(): void {
    this.startedAt = Date.now()
    this.starts++
    let child: ReturnType<typeof Bun.spawn>
    try {
      child = Bun.spawn([this.options.path, ...this.options.args], {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        detached: true, // its own process group: close() kills whatever a wrapper started too
      })
    } catch (error) {
      this.exited(`cannot start ${this.options.path}: ${(error as Error).message}`)
      return
    }
    this.child = child
    this.options.onStart()
    const stderr = readTail(child.stderr as ReadableStream<Uint8Array>)
    const stdout = this.readLines(child.stdout as ReadableStream<Uint8Array>)
    this.running = (async () => {
      const code = await child.exited // reaps the child
      // Whatever it started (a wrapper's children) must not hold the pipes open.
      killGroup(child)
      await Promise.race([Promise.all([stdout, stderr]), Bun.sleep(1000)])
      const err = (await Promise.race([stderr, Promise.resolve("")])).trim()
      this.child = undefined
      if (this.closed) return
      const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${code}`
      this.exited(`zpool iostat ${how}${err ? `: ${err}` : ""}`)
    })()
  }

  private exited(message: string): void {
    this.lastExit = message
    this.options.onExit(message)
    if (this.closed) return
    if (Date.now() - this.startedAt >= HEALTHY_RUN_MS) this.backoffMs = this.options.firstBackoffMs ?? FIRST_BACKOFF_MS
    const delay = this.backoffMs
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS)
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined
      if (!this.closed) this.start()
    }, delay)
    this.restartTimer.unref?.()
  }

  private async readLines(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let pending = ""
    let dropping = false
    try {
      for await (const chunk of stream) {
        pending += decoder.decode(chunk, { stream: true })
        let newline = pending.indexOf("\n")
        while (newline >= 0) {
          const line = pending.slice(0, newline)
          pending = pending.slice(newline + 1)
          if (!dropping && line.length <= MAX_PENDING) this.line(line)
          dropping = false
          newline = pending.indexOf("\n")
        }
        if (pending.length > MAX_PENDING) {
          pending = ""
          dropping = true
        }
      }
    } catch {
      // the pipe closed under us (close()): nothing more to read
    }
  }

  private line(line: string): void {
    this.linesRead++
    this.lastExit = undefined
    this.options.onLine(line)
  }

  /** Kills the child's process group and waits until it is reaped; no restart after. Safe twice. */
  async close(): Promise<void> {
    this.closed = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = undefined
    const child = this.child
    if (child) killGroup(child)
    await this.running
  }
}

/** SIGKILL to the child's process group (the child leads it); the child alone if the group is gone. */
function killGroup(child: ReturnType<typeof Bun.spawn>): void {
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
}

/** The last STDERR_KEEP characters a stream carries. */
async function readTail(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ""
  try {
    for await (const chunk of stream) text = (text + decoder.decode(chunk, { stream: true })).slice(-STDERR_KEEP)
  } catch {
    // closed
  }
  return text
}

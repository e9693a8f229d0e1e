/**
 * `Graphite`: sends every tick to carbon over one persistent TCP connection, as pickle frames
 * (`picklePort`, default 2004) or as plaintext lines (`plaintextPort`).
 *
 * `write()` only enqueues into a bounded buffer and returns; a flush loop sends. While carbon is
 * down the writer reconnects with capped exponential backoff (0.5 s → 30 s) and keeps the newest
 * `bufferSize` points (the oldest are dropped and counted). A frame counts as sent only once it
 * is written completely into an open socket; a frame cut by a lost connection is sent again in
 * full (carbon discards a partial frame). Carbon acknowledges nothing, so what sat in its socket
 * buffer or cache when it went away is lost to both sides: frames written in the last
 * `resendSeconds` before a lost connection are sent again. Graphite keeps one value per path and
 * timestamp, so a repeat overwrites a point with itself.
 *
 * With the durable queue (`queue`, on by default; docs/queue.md), points that cannot go out at once
 * (carbon down, or a backlog still being replayed) are encoded into frames and appended to segment
 * files, so a restart or a SIGKILL during an outage loses nothing; the queue is sent first, oldest
 * first, once carbon answers. Points to a live connection go straight from memory.
 */
import type { Socket } from "bun"
import { Writer, errorMessage, graphitePaths, type SourceResult, v, type WriterContext, type WriterStatus } from "../../api.ts"
import type { BatchQueue, QueuedBatch } from "../../lib/queue/batch-queue.ts"
import { openQueue } from "../../lib/queue/queue-option.ts"
import { type GraphiteOptions, options } from "./options.ts"
import { PlaintextFrameEncoder } from "./plaintext.ts"
import { isFiniteValue, PickleFrameEncoder, type FrameEncoder } from "./pickle.ts"
import { PointRing } from "./point-ring.ts"

export type { GraphiteOptions } from "./options.ts"

export const BACKOFF_MIN_MS = 500
export const BACKOFF_MAX_MS = 30_000
const CONNECT_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000

interface Frame {
  bytes: Uint8Array
  /** Bytes already written into the current connection. */
  offset: number
  points: number
  /** When it was written completely (for resending after a loss). */
  at: number
  /** The queue's batch this frame was read from: acknowledged once written completely. */
  queued?: QueuedBatch
}

type GraphiteSocket = Socket<undefined>

export class GraphiteWriter extends Writer<GraphiteOptions> {
  static override readonly options = options

  /** The options with their defaults, however the writer was built (pollect parses them; a test or bench may not). */
  private readonly opts: GraphiteOptions
  private readonly ring: PointRing
  private readonly encoder: FrameEncoder
  private readonly prefix: string
  private readonly port: number
  /** The durable (or memory) queue of frames that could not go out at once; opened by start(). */
  private queue: BatchQueue | undefined
  /** Frames to send before new points: resends first, the head possibly half written. */
  private readonly outbox: Frame[] = []
  /** Frames written completely in the last `resendSeconds`, oldest first. */
  private readonly recent: Frame[] = []
  private recentPoints = 0
  private socket: GraphiteSocket | undefined
  /** Bumped per connection attempt, so events of an abandoned socket are ignored. */
  private attempt = 0
  private connecting = false
  private failures = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private flushQueued = false
  private stopping = false
  private stopped = false
  private dropLogged = false
  /** The last connection problem, for the status page. */
  private lastError: string | undefined
  private droppedWhileDown = 0
  /** Successful connections so far. */
  connections = 0
  /** Frames written completely (a frame holds at most 1 MiB of pickle). */
  framesWritten = 0
  /** Times the socket took less than offered (backpressure), then `drain` resumed. */
  partialWrites = 0

  constructor(config: GraphiteOptions & { type: string }, ctx: WriterContext) {
    super(config, ctx)
    const opts = (this.opts = v.parse(options, config))
    this.ring = new PointRing(opts.bufferSize)
    this.encoder = opts.plaintextPort !== undefined ? new PlaintextFrameEncoder() : new PickleFrameEncoder()
    this.port = opts.plaintextPort ?? opts.picklePort
    this.prefix = opts.prefix ? opts.prefix.replace(/\.+$/, "") + "." : ""
  }

  /** `host:port (pickle)` for messages. */
  get target(): string {
    return `${maskUserinfo(this.opts.host)}:${this.port} (${this.opts.plaintextPort !== undefined ? "plaintext" : "pickle"})`
  }

  /** An error's message for the log, the host masked in it (the resolver's messages name the host). */
  private describe(error: unknown): string {
    const text = errorMessage(error)
    const host = this.opts.host
    return host.includes("@") ? text.split(host).join(maskUserinfo(host)) : text
  }

  get connected(): boolean {
    return this.socket !== undefined
  }

  override status(): WriterStatus {
    const state = this.stopped ? "stopped" : this.socket ? "ok" : this.failures > 0 ? "retrying" : "connecting"
    return { state, detail: this.target, lastError: this.lastError }
  }

  /** Points not yet written completely into a connection (queued ones included). */
  get unsent(): number {
    let n = this.ring.length + (this.queue?.stats().points ?? 0)
    for (const frame of this.outbox) if (!frame.queued) n += frame.points
    return n
  }

  /** Opens the queue, then connects in the background: carbon being down at start is not fatal, the queue covers it. */
  override start(): void {
    if (this.opts.queue !== false && !this.queue) {
      this.queue = openQueue(this.opts.queue, {
        ctx: this.ctx,
        writer: "Graphite",
        destination: `${this.opts.host}:${this.port}:${this.opts.plaintextPort !== undefined ? "plaintext" : "pickle"}`,
      })
      const { points } = this.queue.stats()
      if (points) this.ctx.log.info(`${this.target}: ${points} point(s) queued from before; sending them first`)
      this.reportQueue()
    }
    this.connect()
  }

  override write(results: SourceResult[]): void {
    if (this.stopped) return
    let invalid = 0
    let dropped = 0
    for (const result of results) {
      const path = graphitePaths(result, this.prefix)
      for (const set of result.sets) {
        for (const value of set.values) {
          if (!isFiniteValue(value.value)) {
            invalid++
            continue
          }
          if (this.ring.push(path(value), result.time, value.value)) dropped++
        }
      }
    }
    if (invalid) this.ctx.selfMetrics.count("pollect_points_invalid_total", { writer: "Graphite" }, invalid)
    if (dropped) this.drop(dropped, "the buffer is full")
    // Carbon away, or a backlog still going out: to disk, behind what is queued (order kept).
    if (this.queue && (!this.socket || !this.queue.empty)) this.spill()
    this.queueFlush()
  }

  /** Encodes the buffered points into frames and appends them to the queue. */
  private spill(): void {
    const queue = this.queue
    if (!queue) return
    for (let frame = this.nextFrame(); frame; frame = this.nextFrame()) queue.append(frame.bytes, frame.points)
    this.reportQueue()
  }

  private reportQueue(): void {
    if (!this.queue) return
    const { bytes, points } = this.queue.stats()
    this.ctx.selfMetrics.set("pollect_queue_bytes", { writer: "Graphite" }, bytes)
    this.ctx.selfMetrics.set("pollect_queue_points", { writer: "Graphite" }, points)
  }

  /**
   * Sends what it can within a bounded time, then closes. Whatever is left stays in the durable
   * queue for the next start (or, with `queue: false`, is counted as dropped).
   */
  override async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (this.stopped) return
    this.stopping = true
    clearTimeout(this.retryTimer)
    const deadline = Date.now() + timeoutMs
    if (this.unsent > 0 && !this.socket) {
      this.failures = 0
      this.connect()
    }
    while (this.unsent > 0 && Date.now() < deadline && (this.socket || this.connecting)) {
      this.flush()
      await Bun.sleep(10)
    }
    this.stopped = true
    const queue = this.queue
    if (queue) {
      // What is in memory joins the queue: frames not written (or to resend), then the buffer.
      for (const frame of this.outbox.splice(0)) if (!frame.queued) queue.append(frame.bytes, frame.points)
      this.spill()
      const { points } = queue.stats()
      if (points) this.ctx.log.info(`${this.target}: ${points} point(s) stay queued for the next start`)
      queue.close()
      this.queue = undefined
    }
    const left = this.unsent
    if (left) this.drop(left, `pollect stopped before ${this.target} took them`)
    this.attempt++
    this.socket?.end()
    this.socket = undefined
  }

  /** Counts dropped points; logs the first drop of an outage, not one line per tick. */
  private drop(points: number, why: string): void {
    this.ctx.selfMetrics.count("pollect_points_dropped_total", { writer: "Graphite" }, points)
    this.droppedWhileDown += points
    const message = `${this.target}: dropped ${points} point(s): ${why}`
    if (this.dropLogged && !this.stopped) return this.ctx.log.debug(message)
    this.dropLogged = true
    this.ctx.log.warn(message + (this.stopped ? "" : " (further drops are counted in pollect_points_dropped_total)"))
  }

  private queueFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    setImmediate(() => {
      this.flushQueued = false
      this.flush()
    })
  }

  /** Writes frames until the socket takes no more (then `drain` calls again) or all is sent. */
  private flush(): void {
    const socket = this.socket
    if (!socket) {
      if (!this.retryTimer) this.connect()
      return
    }
    for (;;) {
      let frame = this.outbox[0]
      if (!frame) {
        frame = this.nextQueuedFrame() ?? this.nextFrame()
        if (!frame) return
        this.outbox.push(frame)
      }
      const written = socket.write(frame.bytes.subarray(frame.offset))
      if (written < 0) {
        this.lost(socket, "the connection is closed")
        return
      }
      frame.offset += written
      if (frame.offset < frame.bytes.length) {
        this.partialWrites++
        return
      }
      this.outbox.shift()
      this.framesWritten++
      if (frame.queued) {
        this.queue?.ack(frame.queued)
        this.reportQueue()
      }
      this.remember(frame)
    }
  }

  /** The queue's oldest frame (read back from disk), sent before anything newer. */
  private nextQueuedFrame(): Frame | undefined {
    const queue = this.queue
    if (!queue || queue.empty) return undefined
    const [batch] = queue.peek(1)
    return batch && { bytes: batch.payload, offset: 0, points: batch.points, at: 0, queued: batch }
  }

  /** Encodes the oldest buffered points into one frame (a view of the encoder's reused buffer). */
  private nextFrame(): Frame | undefined {
    const ring = this.ring
    const encoder = this.encoder
    while (ring.length) {
      encoder.begin()
      let n = 0
      while (n < ring.length && encoder.add(ring.path(n), ring.time(n), ring.value(n))) n++
      if (n === 0) {
        ring.shift(1)
        this.drop(1, "a single point is larger than a frame may be")
        continue
      }
      ring.shift(n)
      return { bytes: encoder.finish(), offset: 0, points: n, at: 0 }
    }
    return undefined
  }

  /** Keeps a written frame for `resendSeconds` (copied: the encoder reuses its buffer), at most `bufferSize` points. */
  private remember(frame: Frame): void {
    const keepMs = this.opts.resendSeconds * 1000
    if (keepMs <= 0) return
    const now = Date.now()
    this.recent.push({ bytes: frame.bytes.slice(), offset: 0, points: frame.points, at: now })
    this.recentPoints += frame.points
    const limit = this.opts.bufferSize
    while (this.recent.length > 1 && (this.recentPoints > limit || this.recent[0]!.at < now - keepMs)) {
      this.recentPoints -= this.recent.shift()!.points
    }
  }

  private connect(): void {
    if (this.stopped || this.socket || this.connecting) return
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.connecting = true
    const attempt = ++this.attempt
    const current = (socket: GraphiteSocket) => attempt === this.attempt && socket === this.socket
    const timer = setTimeout(() => {
      if (attempt !== this.attempt || !this.connecting) return
      this.attempt++ // a late connection is ignored and closed
      this.failed(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`))
    }, CONNECT_TIMEOUT_MS)
    Bun.connect<undefined>({
      hostname: this.opts.host,
      port: this.port,
      socket: {
        open: (socket) => {
          clearTimeout(timer)
          if (attempt !== this.attempt || this.stopped) {
            socket.end()
            return
          }
          this.connecting = false
          this.socket = socket
          this.connections++
          if (this.failures > 0) {
            const dropped = this.droppedWhileDown ? `, ${this.droppedWhileDown} dropped meanwhile` : ""
            this.ctx.log.info(`${this.target}: connected again; sending ${this.unsent} buffered point(s)${dropped}`)
          }
          this.failures = 0
          this.dropLogged = false
          this.flush()
        },
        data: () => {}, // carbon says nothing
        drain: (socket) => {
          if (current(socket)) this.flush()
        },
        // The peer closed (carbon stopping): write nothing more into this socket.
        end: (socket) => {
          if (current(socket)) this.lost(socket, "carbon closed the connection")
          socket.end()
        },
        close: (socket, error) => {
          if (current(socket)) this.lost(socket, error ? this.describe(error) : "the connection closed")
        },
        error: (socket, error) => {
          if (current(socket)) this.lost(socket, this.describe(error))
        },
        connectError: () => {}, // the rejected promise reports it
      },
    }).catch((error: unknown) => {
      clearTimeout(timer)
      if (attempt === this.attempt) this.failed(error)
    })
  }

  /** A connection attempt failed: retry later, backing off. */
  private failed(error: unknown): void {
    this.connecting = false
    this.failures++
    this.lastError = `cannot connect: ${this.describe(error)}`
    const keeping = this.queue ? "queueing points on disk" : `keeping up to ${this.opts.bufferSize} points`
    const message = `${this.target}: cannot connect (${this.describe(error)}); ${keeping}, retrying`
    if (this.failures === 1) this.ctx.log.warn(message)
    else this.ctx.log.debug(message)
    this.scheduleRetry()
  }

  /** The connection went away: frames not written completely, and recent ones, go out again on the next. */
  private lost(socket: GraphiteSocket, why: string): void {
    if (socket !== this.socket) return
    this.socket = undefined
    this.attempt++
    socket.terminate()
    const head = this.outbox[0]
    if (head) {
      head.offset = 0
      // The head frame may be a view of the encoder's buffer, which spill() is about to reuse.
      if (!head.queued) head.bytes = head.bytes.slice()
    }
    // Resends are copies, so the encoder is not touched by them.
    const keepMs = this.opts.resendSeconds * 1000
    const since = Date.now() - keepMs
    const again = this.recent.filter((frame) => frame.at >= since)
    this.recent.length = 0
    this.recentPoints = 0
    this.outbox.unshift(...again)
    if (this.stopped) return
    // An outage begins: its first drop is logged, and "dropped meanwhile" counts from here.
    this.dropLogged = false
    this.droppedWhileDown = 0
    this.failures++
    this.lastError = why
    this.ctx.log.warn(`${this.target}: ${why}; reconnecting (${this.unsent} point(s) to send)`)
    if (this.stopping) this.connect()
    else this.scheduleRetry()
  }

  private scheduleRetry(): void {
    if (this.stopped || this.stopping || this.retryTimer) return
    const delay = backoffMs(this.failures)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.connect()
    }, delay)
  }
}

/**
 * A host for messages, any userinfo masked: `user:pw@carbon` and `tcp://user:pw@carbon` give
 * `***@carbon` and `tcp://***@carbon`. The options reject an `@` in a host; this is the second
 * line of defence, should a host ever reach a log line without passing them.
 */
export function maskUserinfo(host: string): string {
  const at = host.lastIndexOf("@")
  if (at < 0) return host
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(host)?.[0] ?? ""
  return `${scheme}***${host.slice(at)}`
}

/** 0.5 s, 1 s, 2 s, ... capped at 30 s, for the n-th failure in a row (n ≥ 1). */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1))
}

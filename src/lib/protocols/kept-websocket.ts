/**
 * One websocket client connection kept open for a source that is pushed its data (evcc, the
 * Porsche charger): opened on the first `ready()`, reconnected in the background after it ends
 * (1 s, 2 s, 4 s, … up to `maxBackoffMs`; back to 1 s after a connection that became ready),
 * dropped when the peer is silent for `idleMs`. Messages are text; one longer than
 * `maxMessageChars`, a binary one, or one `onMessage` throws on ends the connection with that
 * error (the source's state is then rebuilt from the next connection's messages). Bun's own
 * WebSocket client, so it works in the compiled binary; `tls.rejectUnauthorized: false` is
 * Bun's option for a device's self-signed certificate.
 */
import type { Logger } from "../../api.ts"

export interface KeptWebSocketOptions {
  url: string
  /** What the source calls the peer in errors (`evcc at localhost:7070`). */
  what: string
  log: Logger
  /** Called when a connection opens, before its first message (reset per-connection state). */
  onOpen?: () => void
  /** One text message; throwing ends the connection with that error. */
  onMessage: (text: string) => void
  /** Ready only after the first message of a connection (evcc's welcome state), not at open. */
  readyAfterFirstMessage?: boolean
  maxMessageChars: number
  /** Drop a connection that brought nothing for this long; default 120 s. */
  idleMs?: number
  /** Give up on an attempt not ready after this long; default 10 s. */
  connectTimeoutMs?: number
  maxBackoffMs?: number
  firstBackoffMs?: number
  /** Bun's TLS options for wss:// (`rejectUnauthorized: false` for a self-signed device). */
  tls?: { rejectUnauthorized?: boolean }
  /** Opens the connection instead of Bun's WebSocket (PinnedWebSocket for a pinned certificate). */
  open?: (url: string) => WebSocket
}

type Waiter = () => void

export class KeptWebSocket {
  private socket?: WebSocket
  private isReady = false
  private closed = false
  private backoffMs: number
  private retryTimer?: ReturnType<typeof setTimeout>
  private idleTimer?: ReturnType<typeof setTimeout>
  private connectTimer?: ReturnType<typeof setTimeout>
  private waiters: Waiter[] = []
  /** Why the last connection or attempt ended (stable text, so a latch logs it once). */
  lastError = "not connected yet"
  /** Connections opened so far (tests). */
  opened = 0

  constructor(private readonly options: KeptWebSocketOptions) {
    this.backoffMs = options.firstBackoffMs ?? 1000
  }

  get ready(): boolean {
    return this.isReady
  }

  /**
   * Resolves once the connection is ready, or once the attempt this call starts (or waits for)
   * has failed, or when `signal` aborts; then `ready` says which. Disconnected, it tries at once
   * instead of waiting for the background retry.
   */
  async whenReady(signal?: AbortSignal): Promise<boolean> {
    if (this.closed) return false
    if (this.isReady) return true
    const settled = new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done)
        this.waiters = this.waiters.filter((w) => w !== done)
        resolve()
      }
      this.waiters.push(done)
      signal?.addEventListener("abort", done)
      // A signal that has already aborted fires no event: return at once (the attempt still starts).
      if (signal?.aborted) done()
    })
    // The waiter first: an opener that throws ends the attempt before connect() returns.
    this.connect()
    await settled
    return this.isReady
  }

  /** Closes the connection and stops reconnecting; safe twice. */
  close(): void {
    this.closed = true
    this.clearTimers()
    this.socket?.close(1000, "pollect stopped")
    this.socket = undefined
    this.isReady = false
    this.wake()
  }

  /** Starts an attempt unless one is running: a socket exists (connect is never called while ready). */
  private connect(): void {
    if (this.socket) return
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    let socket: WebSocket
    try {
      // `tls` is Bun's extension of the WebSocket constructor.
      socket = this.options.open
        ? this.options.open(this.options.url)
        : new WebSocket(this.options.url, { tls: this.options.tls } as unknown as string[])
    } catch (error) {
      this.ended(`${this.options.url}: ${(error as Error).message}`)
      return
    }
    socket.binaryType = "arraybuffer"
    this.socket = socket
    this.connectTimer = setTimeout(
      () =>
        this.drop(
          socket,
          `no ${this.options.readyAfterFirstMessage ? "state" : "connection"} within ${(this.options.connectTimeoutMs ?? 10_000) / 1000} s`,
        ),
      this.options.connectTimeoutMs ?? 10_000,
    )
    socket.addEventListener("open", () => {
      if (this.socket !== socket) return
      this.opened++
      this.options.onOpen?.()
      if (this.socket !== socket) return // onOpen closed it
      this.armIdle(socket)
      if (!this.options.readyAfterFirstMessage) this.becomeReady()
    })
    socket.addEventListener("message", (event: MessageEvent) => {
      if (this.socket !== socket) return
      this.armIdle(socket)
      const data = event.data
      if (typeof data !== "string") return this.drop(socket, "a binary message, expected JSON text")
      if (data.length > this.options.maxMessageChars)
        return this.drop(socket, `a message of ${data.length} characters, more than the ${this.options.maxMessageChars} read at most`)
      try {
        this.options.onMessage(data)
      } catch (error) {
        return this.drop(socket, (error as Error).message)
      }
      if (!this.isReady) this.becomeReady()
    })
    // The error and close handlers leave a socket that is no longer current to drop(), which checks.
    socket.addEventListener("error", (event: Event) => {
      // Bun's ErrorEvent says why (`... failed: Failed to connect`, `TLS handshake failed: self
      // signed certificate`, `Expected 101 status code: 404`); the URL prefix is ours to give.
      const text =
        event instanceof ErrorEvent && event.message ? event.message.replace(/^WebSocket connection to '[^']*' failed: /, "") : ""
      const what = this.isReady ? "connection lost" : "connection failed"
      this.drop(socket, text ? `${what}: ${text.slice(0, 300)}` : what)
    })
    // A close frame's reason is at most 123 bytes (Bun refuses a longer one; PinnedWebSocket cuts at 200).
    socket.addEventListener("close", (event: CloseEvent) => {
      const reason = event.reason ? `: ${event.reason}` : ""
      this.drop(
        socket,
        this.isReady ? `closed by the peer (code ${event.code}${reason})` : `connection failed (code ${event.code}${reason})`,
      )
    })
  }

  private becomeReady(): void {
    clearTimeout(this.connectTimer)
    this.connectTimer = undefined
    this.isReady = true
    this.backoffMs = this.options.firstBackoffMs ?? 1000
    if (this.lastError !== "not connected yet") this.options.log.debug(`${this.options.what}: connected`)
    this.wake()
  }

  private armIdle(socket: WebSocket): void {
    clearTimeout(this.idleTimer)
    const idleMs = this.options.idleMs ?? 120_000
    this.idleTimer = setTimeout(() => this.drop(socket, `nothing received for ${idleMs / 1000} s`), idleMs)
  }

  /** Ends `socket` (if it is still the current one) with `reason` and schedules the next attempt. */
  private drop(socket: WebSocket, reason: string): void {
    if (this.socket !== socket) return
    this.socket = undefined
    try {
      socket.close()
    } catch {
      // already closed
    }
    this.ended(reason)
  }

  private ended(reason: string): void {
    this.clearTimers()
    this.isReady = false
    this.lastError = reason
    this.options.log.debug(`${this.options.what}: ${reason}; next attempt in ${this.backoffMs / 1000} s`)
    this.wake()
    if (this.closed) return
    this.retryTimer = setTimeout(() => this.connect(), this.backoffMs)
    this.retryTimer.unref?.()
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 60_000)
  }

  private clearTimers(): void {
    for (const timer of [this.retryTimer, this.idleTimer, this.connectTimer]) clearTimeout(timer)
    this.retryTimer = this.idleTimer = this.connectTimer = undefined
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
  }
}

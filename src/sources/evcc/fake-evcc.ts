/**
 * A fake evcc on loopback: `GET /ws` upgrades to a websocket that sends the welcome state (a
 * recorded `state.json`, as text, unchanged) and then whatever the test pushes, as evcc's
 * SocketHub does. `restart()` stops it and listens again on the same port.
 */
import type { ServerWebSocket } from "bun"

export interface FakeEvcc {
  readonly port: number
  readonly host: string
  /** Websocket connections accepted so far. */
  readonly connections: number
  /** The welcome state sent to each new connection (text). */
  welcome: string
  /** Sends a message to every connected client (an object as JSON text, bytes as a binary message). */
  push(message: string | Uint8Array | Record<string, unknown>): void
  /** Closes the listener and every connection; `start()` listens again on the same port. */
  stop(): Promise<void>
  start(): void
}

export function startFakeEvcc(welcome: string, port = 0): FakeEvcc {
  const clients = new Set<ServerWebSocket<unknown>>()
  let connections = 0
  let server: ReturnType<typeof Bun.serve> | undefined
  const fake = {
    port,
    welcome,
    get host() {
      return `127.0.0.1:${fake.port}`
    },
    get connections() {
      return connections
    },
    push(message: string | Uint8Array | Record<string, unknown>) {
      const text = typeof message === "string" || message instanceof Uint8Array ? message : JSON.stringify(message)
      for (const client of clients) client.send(text)
    },
    async stop() {
      for (const client of clients) client.close(1001, "going away")
      clients.clear()
      await server?.stop(true)
      server = undefined
    },
    start() {
      server = Bun.serve({
        hostname: "127.0.0.1",
        port: fake.port,
        fetch(request, srv) {
          if (new URL(request.url).pathname === "/ws" && srv.upgrade(request, { data: undefined })) return undefined
          return new Response("not found", { status: 404 })
        },
        websocket: {
          open(ws) {
            connections++
            clients.add(ws)
            ws.send(fake.welcome)
          },
          message() {},
          close(ws) {
            clients.delete(ws)
          },
        },
      })
      fake.port = server.port!
    },
  }
  fake.start()
  return fake
}

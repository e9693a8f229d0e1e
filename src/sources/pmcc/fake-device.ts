/**
 * A fake Porsche Mobile Charger Connect on loopback: a TLS websocket at `/ws` (self-signed
 * certificate from test/helpers/tls.ts) that sends, to each new connection, the recorded
 * messages of a golden case (`messages.json`, each as JSON text) and later whatever the test
 * pushes, in the device's `{interface, path, name, args}` shape with the nested JSON text.
 */
import type { ServerWebSocket } from "bun"

export interface FakePmcc {
  readonly host: string
  readonly port: number
  readonly connections: number
  /** Sent to each new connection, in order. */
  greeting: string[]
  push(message: string | Uint8Array): void
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): void
}

/** The device's session message: `swaggerCurrentSession` is JSON text inside the JSON. */
export function sessionMessage(session: { soc: number; startSoc: number; evChargingRatekW: number }): string {
  return JSON.stringify({
    interface: "de.bebro.WebServer",
    path: "/",
    name: "swaggerCurrentSessionChanged",
    args: { swaggerCurrentSession: JSON.stringify(session) },
  })
}

/** The device's per-phase power message (one phase per message, as 1.2's code expects). */
export function phaseMessage(phase: 1 | 2 | 3, watts: number): string {
  return JSON.stringify({
    interface: "de.bebro.iCAN",
    path: "/",
    name: `activePowerL${phase}Changed`,
    args: { [`activePowerL${phase}`]: JSON.stringify({ value: watts }) },
  })
}

export function startFakePmcc(tls: { cert: string; key: string }, greeting: string[] = [], port = 0): FakePmcc {
  const clients = new Set<ServerWebSocket<unknown>>()
  let connections = 0
  let server: ReturnType<typeof Bun.serve> | undefined
  const fake = {
    port,
    greeting,
    get host() {
      return `127.0.0.1:${fake.port}`
    },
    get connections() {
      return connections
    },
    push(message: string | Uint8Array) {
      for (const client of clients) client.send(message)
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
        tls: { cert: Bun.file(tls.cert), key: Bun.file(tls.key) },
        fetch(request, srv) {
          if (new URL(request.url).pathname === "/ws" && srv.upgrade(request, { data: undefined })) return undefined
          return new Response("not found", { status: 404 })
        },
        websocket: {
          open(ws) {
            connections++
            clients.add(ws)
            for (const message of fake.greeting) ws.send(message)
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

/**
 * The one style of fake server for plugin tests: a function `startFakeX(options)` that serves
 * recorded or scripted answers on loopback through `serveFake`, and returns its URL, the
 * requests it saw and `stop()`. Every plugin's fake-server.ts is built on it.
 *
 * @example
 * export function startFakeThing(options: { failLogin?: boolean } = {}) {
 *   return serveFake((request, url) => {
 *     if (url.pathname === "/login") return options.failLogin ? new Response("", { status: 401 }) : Response.json({ token: "t" })
 *     return new Response("not found", { status: 404 })
 *   })
 * }
 */
export interface SeenRequest {
  method: string
  path: string
  search: string
  headers: Headers
  body: string
}

export interface FakeServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  readonly port: number
  /** Every request so far, in order. */
  readonly requests: SeenRequest[]
  /** Requests whose path is `path`. */
  seen(path: string): SeenRequest[]
  stop(): Promise<void>
}

export type FakeHandler = (request: Request, url: URL, body: string) => Response | Promise<Response>

export function serveFake(handler: FakeHandler, options: { tls?: { cert: string; key: string } } = {}): FakeServer {
  const requests: SeenRequest[] = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: options.tls,
    async fetch(request) {
      const url = new URL(request.url)
      const body = request.body ? await request.text() : ""
      requests.push({ method: request.method, path: url.pathname, search: url.search, headers: request.headers, body })
      return handler(request, url, body)
    },
  })
  const scheme = options.tls ? "https" : "http"
  return {
    url: `${scheme}://127.0.0.1:${server.port}`,
    port: server.port!,
    requests,
    seen: (path) => requests.filter((r) => r.path === path),
    stop: () => server.stop(true),
  }
}

/**
 * The URL of a server that is down: a loopback port that was listening a moment ago and no
 * longer is, so connecting fails at once ("Unable to connect").
 */
export async function downServerUrl(): Promise<string> {
  const down = serveFake(() => new Response())
  await down.stop()
  return down.url
}

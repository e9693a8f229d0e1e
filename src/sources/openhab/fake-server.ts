/**
 * A fake openHAB REST API on loopback: `GET /rest/items` answers a recorded items list
 * (testdata/<case>/items.json); with `token` set, only `Authorization: Bearer <token>` gets it
 * (openHAB 3/4 with anonymous access off answer 401 otherwise). `answer` replaces the body
 * (garbage, a truncated list, an oversized one).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export interface FakeOpenhabOptions {
  items?: unknown
  token?: string
  /** A raw body (and status) to answer instead of the items. */
  answer?: { body: string | Uint8Array; status?: number }
}

export interface FakeOpenhab extends FakeServer {
  items: unknown
  answer?: { body: string | Uint8Array; status?: number }
}

/** A golden case's recorded `/rest/items` answer. */
export function recordedItems(dir: string): unknown {
  return JSON.parse(readFileSync(join(dir, "items.json"), "utf8"))
}

export function startFakeOpenhab(options: FakeOpenhabOptions = {}): FakeOpenhab {
  let fake: FakeOpenhab | undefined
  const server = serveFake((request, url) => {
    if (url.pathname !== "/rest/items") return new Response("not found", { status: 404 })
    if (options.token && request.headers.get("authorization") !== `Bearer ${options.token}`)
      return Response.json({ error: { message: "Authentication required", "http-code": 401 } }, { status: 401 })
    if (fake?.answer) return new Response(fake.answer.body, { status: fake.answer.status ?? 200 })
    return Response.json(fake?.items ?? [])
  })
  fake = Object.assign(server, { items: options.items ?? [], answer: options.answer })
  return fake
}

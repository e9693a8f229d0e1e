/**
 * SnmpSession against FakeSnmpAgent (net-snmp's Agent on loopback): v1, v2c and v3 at each
 * security level and with each protocol, so a session that sends the wrong version, level,
 * protocol or key is refused by the agent, and the errors as the source reports them.
 */
import { afterEach, describe, expect, it } from "bun:test"
import { createSocket, type Socket } from "node:dgram"
import { getEventListeners } from "node:events"
import snmp from "net-snmp"
import { FakeSnmpAgent } from "./fake-agent.ts"
import { securityLevelOf, SnmpSession, type SnmpTarget } from "./session.ts"

const UPTIME = "1.3.6.1.2.1.1.3.0"
const RECORDING = `.${UPTIME} = Timeticks: (4200) 0:00:42.00\n.1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID`
const lib = snmp as unknown as {
  SecurityLevel: Record<string, number>
  AuthProtocols: Record<string, string>
  PrivProtocols: Record<string, string>
}

const open: (SnmpSession | FakeSnmpAgent | { close(): void })[] = []
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close()
})

async function agent(users: Record<string, unknown>[] = []): Promise<FakeSnmpAgent> {
  const fake = await FakeSnmpAgent.start("public", users)
  fake.serve(RECORDING)
  open.push(fake)
  return fake
}

function session(target: Partial<SnmpTarget> & { port: number }): SnmpSession {
  const s = new SnmpSession({ host: "127.0.0.1", version: "2c", community: "public", retries: 0, timeoutMs: 1500, ...target })
  open.push(s)
  return s
}

const get = (s: SnmpSession, oids = [UPTIME]) =>
  s.get(oids, new AbortController().signal).then(
    (readings): unknown => readings,
    (error: Error) => error.message,
  )

describe("SnmpSession: versions and v3 security", () => {
  it("v1 and v2c with the community; another community gets no answer", async () => {
    const fake = await agent()
    for (const version of ["1", "2c"] as const)
      expect(await get(session({ port: fake.port, version }))).toEqual([{ ok: true, type: "TimeTicks", value: 4200n }])
    expect(await get(session({ port: fake.port, community: "private", timeoutMs: 200 }))).toMatch(
      /^no SNMP response from 127\.0\.0\.1:\d+ \(1 try of 200 ms;/,
    )
  })

  it("the agent's error answers: v1's noSuchName names the OID, a status without one is said as such", async () => {
    const fake = await agent()
    const s = session({ port: fake.port })
    await get(s)
    // The errors net-snmp gives for an answer with an error status (its onSimpleGetResponse).
    const failing = (error: Error) => {
      ;(s as unknown as { session: { get(oids: string[], callback: (error: Error) => void): void } }).session.get = (_oids, callback) =>
        callback(error)
    }
    const Failed = (snmp as unknown as { RequestFailedError: new (message: string, status: number) => Error }).RequestFailedError
    failing(new Failed("NoSuchName: 1.3.6.1.2.1.1.99.0", 2))
    expect(await get(s)).toBe("noSuchName (the agent has no value at this OID): 1.3.6.1.2.1.1.99.0")
    failing(new Failed("GenErr: 1.3.6.1.2.1.1.3.0", 5))
    expect(await get(s)).toBe("GenErr: 1.3.6.1.2.1.1.3.0")
    failing(new Failed("TooBig", 1))
    expect(await get(s)).toBe("the agent answered TooBig")
    failing(new Error("send EPERM"))
    expect(await get(s)).toBe(`SNMP GET to 127.0.0.1:${fake.port} failed: send EPERM`)
  })

  it("v2c answers noSuchObject for a missing OID alone", async () => {
    const fake = await agent()
    expect(await get(session({ port: fake.port }), [UPTIME, "1.3.6.1.2.1.1.99.0"])).toEqual([
      { ok: true, type: "TimeTicks", value: 4200n },
      { ok: false, error: "noSuchObject (the agent does not implement this OID)" },
    ])
  })

  it("v3 at each level, with each authentication protocol and both privacy protocols", async () => {
    const L = lib.SecurityLevel
    const A = lib.AuthProtocols
    const P = lib.PrivProtocols
    const users = [
      { name: "plain", level: L.noAuthNoPriv },
      ...(["md5", "sha", "sha224", "sha256", "sha384", "sha512"] as const).map((p) => ({
        name: `auth-${p}`,
        level: L.authNoPriv,
        authProtocol: A[p],
        authKey: `auth-key-${p}`,
      })),
      { name: "des", level: L.authPriv, authProtocol: A.sha, authKey: "auth-key-d", privProtocol: P.des, privKey: "priv-key-d" },
      { name: "aes", level: L.authPriv, authProtocol: A.sha256, authKey: "auth-key-a", privProtocol: P.aes, privKey: "priv-key-a" },
    ]
    const fake = await agent(users)
    const ok = [{ ok: true, type: "TimeTicks", value: 4200n }]
    const v3 = (fields: Partial<SnmpTarget>) => get(session({ port: fake.port, version: "3", ...fields }))
    expect(await v3({ user: "plain" })).toEqual(ok)
    for (const [name, protocol] of [
      ["md5", "MD5"],
      ["sha", "SHA"],
      ["sha224", "SHA-224"],
      ["sha256", "SHA-256"],
      ["sha384", "SHA-384"],
      ["sha512", "SHA-512"],
    ] as const)
      expect(await v3({ user: `auth-${name}`, authProtocol: protocol, authKey: `auth-key-${name}` })).toEqual(ok)
    // No authProtocol: SHA; no privProtocol: AES (the user "aes" wants SHA-256, so it is given).
    expect(await v3({ user: "des", authKey: "auth-key-d", privProtocol: "DES", privKey: "priv-key-d" })).toEqual(ok)
    expect(await v3({ user: "aes", authProtocol: "SHA-256", authKey: "auth-key-a", privKey: "priv-key-a" })).toEqual(ok)
  })

  it("v3 with a wrong key or protocol, or a lower level than the user's, is not answered", async () => {
    const L = lib.SecurityLevel
    const fake = await agent([
      {
        name: "aes",
        level: L.authPriv,
        authProtocol: lib.AuthProtocols.sha,
        authKey: "auth-key-a",
        privProtocol: lib.PrivProtocols.aes,
        privKey: "priv-key-a",
      },
    ])
    const v3 = (fields: Partial<SnmpTarget>) => get(session({ port: fake.port, version: "3", user: "aes", timeoutMs: 300, ...fields }))
    for (const fields of [
      { authKey: "auth-key-a", privKey: "priv-key-x" },
      { authKey: "auth-key-x", privKey: "priv-key-a" },
      { authKey: "auth-key-a", privKey: "priv-key-a", privProtocol: "DES" as const },
      { authKey: "auth-key-a", privKey: "priv-key-a", authProtocol: "MD5" as const },
      { authKey: "auth-key-a", securityLevel: "authNoPriv" as const, privKey: "priv-key-a" },
    ])
      expect(await v3(fields)).not.toEqual([{ ok: true, type: "TimeTicks", value: 4200n }])
  })

  it("the level follows the keys unless set", () => {
    expect(securityLevelOf({})).toBe("noAuthNoPriv")
    expect(securityLevelOf({ authKey: "k" })).toBe("authNoPriv")
    expect(securityLevelOf({ authKey: "k", privKey: "p" })).toBe("authPriv")
    expect(securityLevelOf({ securityLevel: "noAuthNoPriv", authKey: "k", privKey: "p" })).toBe("noAuthNoPriv")
  })
})

describe("SnmpSession: requests", () => {
  it("more than 60 OIDs go in GETs of 60, the readings in order", async () => {
    const fake = await agent()
    const oids = Array.from({ length: 130 }, (_, i) => `1.3.6.1.2.1.2.2.1.10.${i + 1}`)
    fake.serve(oids.map((oid, i) => `.${oid} = Counter32: ${i}`).join("\n"))
    const readings = await get(session({ port: fake.port }), oids)
    expect(readings).toEqual(oids.map((_, i) => ({ ok: true, type: "Counter32", value: BigInt(i) })))
  })

  it("one session is reused across GETs and opened again after close()", async () => {
    const fake = await agent()
    const s = session({ port: fake.port })
    await get(s)
    const first = (s as unknown as { session?: unknown }).session
    await get(s)
    expect((s as unknown as { session?: unknown }).session).toBe(first)
    s.close()
    s.close()
    expect((s as unknown as { session?: unknown }).session).toBeUndefined()
    expect(await get(s)).toEqual([{ ok: true, type: "TimeTicks", value: 4200n }])
    expect((s as unknown as { session?: unknown }).session).not.toBe(first)
  })

  it("a socket error closes the session; the next GET opens a new one", async () => {
    const fake = await agent()
    const s = session({ port: fake.port })
    await get(s)
    const first = (s as unknown as { session: { emit(event: string, error: Error): void } }).session
    first.emit("error", new Error("EPERM"))
    expect((s as unknown as { session?: unknown }).session).toBeUndefined()
    expect(await get(s)).toEqual([{ ok: true, type: "TimeTicks", value: 4200n }])
  })

  it("an IPv6 host is asked over udp6", async () => {
    const s = session({ host: "::1", port: 9, timeoutMs: 100 })
    await get(s)
    expect((s as unknown as { session: { transport: string } }).session.transport).toBe("udp6")
  })

  it("a request the library cannot send is a failure naming the agent", async () => {
    const fake = await agent()
    expect(await get(session({ port: fake.port }), ["not.an.oid"])).toMatch(
      new RegExp(`^SNMP GET to 127\\.0\\.0\\.1:${fake.port} failed: .+`),
    )
  })

  it("a timeout names the tries: one try, or the retries + 1", async () => {
    const fake = await agent()
    expect(await get(session({ port: fake.port, community: "x", retries: 1, timeoutMs: 100 }))).toBe(
      `no SNMP response from 127.0.0.1:${fake.port} (2 tries of 100 ms; wrong host, port, community or v3 credentials?)`,
    )
  })
})

/** A UDP socket on loopback that answers nothing and hands over each datagram it receives. */
async function silentPeer(): Promise<{ port: number; next(): Promise<Buffer> }> {
  const socket: Socket = createSocket("udp4")
  const received: Buffer[] = []
  let waiting: ((message: Buffer) => void) | undefined
  socket.on("message", (message) => {
    if (waiting) waiting(message)
    else received.push(message)
    waiting = undefined
  })
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve))
  open.push({ close: () => socket.close() })
  return {
    port: socket.address().port,
    next: () => {
      const message = received.shift()
      return message ? Promise.resolve(message) : new Promise<Buffer>((resolve) => (waiting = resolve))
    },
  }
}

/** An SNMP v1/v2c message's version and community (RFC 1157/1901: SEQUENCE { INTEGER version, OCTET STRING community, PDU }). */
function versionAndCommunity(message: Buffer): { version: number; community: string } {
  let at = 1
  const length = () => {
    const first = message[at++]!
    if (first < 0x80) return first
    let n = 0
    for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + message[at++]!
    return n
  }
  expect(message[0]).toBe(0x30)
  length()
  expect(message[at++]).toBe(0x02)
  const versionLength = length()
  const version = message.readUIntBE(at, versionLength)
  at += versionLength
  expect(message[at++]).toBe(0x04)
  const communityLength = length()
  return { version, community: message.subarray(at, at + communityLength).toString() }
}

/** The promise's outcome, or "pending" when it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "pending"> {
  return Promise.race([promise, new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms))])
}

const library = (s: SnmpSession) => (s as unknown as { session?: { emit(event: string): void; dgram: Socket; get: unknown } }).session

describe("SnmpSession: the wire, close and the deadline's listener", () => {
  it("v1 sends version 0, v2c version 1, each with the community", async () => {
    const peer = await silentPeer()
    for (const [version, wire] of [
      ["1", 0],
      ["2c", 1],
      ["1", 0],
    ] as const) {
      const answer = get(session({ port: peer.port, version, community: "c0mm", timeoutMs: 100 }))
      expect(versionAndCommunity(await peer.next())).toEqual({ version: wire, community: "c0mm" })
      expect(await answer).toMatch(/^no SNMP response/)
    }
  })

  it("a GET of up to 60 OIDs is one request, 61 are two; no OIDs, no request", async () => {
    const fake = await agent()
    const oids = Array.from({ length: 61 }, (_, i) => `1.3.6.1.2.1.2.2.1.10.${i + 1}`)
    fake.serve(oids.map((oid, i) => `.${oid} = Counter32: ${i}`).join("\n"))
    const s = session({ port: fake.port })
    expect(await get(s, [])).toEqual([])
    expect(fake.answered).toBe(0)
    expect(await get(s, oids.slice(0, 60))).toHaveLength(60)
    expect(fake.answered).toBe(1)
    expect(await get(s, oids)).toHaveLength(61)
    expect(fake.answered).toBe(3)
    // Not even an aborted deadline is looked at when there is nothing to ask.
    const aborted = new AbortController()
    aborted.abort()
    expect(await s.get([], aborted.signal)).toEqual([])
  })

  it("close() closes the library's socket: a GET under way fails at once", async () => {
    const peer = await silentPeer()
    const s = session({ port: peer.port, timeoutMs: 3000 })
    const answer = get(s)
    await peer.next()
    const first = library(s)!
    const closed = new Promise<string>((resolve) => first.dgram.once("close", () => resolve("closed")))
    s.close()
    expect(await within(answer, 1000)).toBe(`SNMP GET to 127.0.0.1:${peer.port} failed: Socket forcibly closed`)
    expect(await within(closed, 1000)).toBe("closed")
    expect(library(s)).toBeUndefined()
  })

  it("a socket closed under the session is forgotten; a stale session's close leaves the new one", async () => {
    const fake = await agent()
    const s = session({ port: fake.port })
    await get(s)
    const first = library(s)!
    const closed = new Promise<void>((resolve) => first.dgram.once("close", () => resolve()))
    first.dgram.close()
    await closed
    expect(library(s)).toBeUndefined()
    expect(await get(s)).toEqual([{ ok: true, type: "TimeTicks", value: 4200n }])
    const second = library(s)!
    expect(second).not.toBe(first)
    // close() then a GET at once: the old socket's "close" comes after the new session is open.
    s.close()
    const answer = get(s)
    const third = library(s)!
    expect(third).not.toBe(second)
    expect(await answer).toEqual([{ ok: true, type: "TimeTicks", value: 4200n }])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(library(s)).toBe(third)
    second.emit("close")
    expect(library(s)).toBe(third)
  })

  it("the deadline's listener is removed after an answer, an error answer and a failure to send", async () => {
    const fake = await agent()
    const s = session({ port: fake.port })
    const deadline = new AbortController()
    expect(await s.get([UPTIME], deadline.signal)).toEqual([{ ok: true, type: "TimeTicks", value: 4200n }])
    expect(getEventListeners(deadline.signal, "abort")).toHaveLength(0)
    expect(await s.get(["not.an.oid"], deadline.signal).catch((error: Error) => error.message)).toMatch(/^SNMP GET to .* failed: /)
    expect(getEventListeners(deadline.signal, "abort")).toHaveLength(0)
    // The library throwing instead of calling back (it does not today) is a failure naming the agent too.
    library(s)!.get = () => {
      throw new Error("no socket")
    }
    const answer = s.get([UPTIME], deadline.signal).catch((error: Error) => error.message)
    expect(await within(answer, 1000)).toBe(`SNMP GET to 127.0.0.1:${fake.port} failed: no socket`)
    expect(getEventListeners(deadline.signal, "abort")).toHaveLength(0)
  })

  it("the deadline's abort ends the GET and its listener at once, while the library's try still runs", async () => {
    const peer = await silentPeer()
    const s = session({ port: peer.port, timeoutMs: 3000 })
    const deadline = new AbortController()
    const answer = s.get([UPTIME], deadline.signal).catch((error: Error) => error.message)
    await peer.next()
    expect(getEventListeners(deadline.signal, "abort")).toHaveLength(1)
    deadline.abort()
    expect(await answer).toBe(`no SNMP response from 127.0.0.1:${peer.port} before the probe deadline`)
    // The listener was added once: it is gone with the abort, not only when net-snmp gives up 3 s later.
    expect(getEventListeners(deadline.signal, "abort")).toHaveLength(0)
  })
})

/**
 * Certificate against real `openssl s_server` processes on loopback, with certificates the test
 * makes around the real clock (so verification, which OpenSSL does with the real time, applies).
 */
import { afterAll, beforeAll, describe, expect } from "bun:test"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { makeSource } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { certFactory, type Issued, startSServer, startSilentServer, type TlsServer } from "./fake-tls-server.ts"
import { CertificateSource } from "./index.ts"

const DAY = 86_400_000
const HOUR = 3_600_000

/** value name (and url label) → value. */
function values(sets: ValueSet[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const set of sets) for (const value of set.values) out[[value.name, ...value.labelValues].join(" ")] = value.value
  return out
}

describe("Certificate against openssl s_server", () => {
  const servers: TlsServer[] = []
  let dir = ""
  let expired: TlsServer
  let soon: TlsServer
  let selfSigned: TlsServer
  let chained: TlsServer
  let sni: TlsServer
  let root: Issued
  let interNotAfter = 0
  let leafNotAfter = 0

  beforeAll(async () => {
    if (!Bun.which("openssl")) return
    const now = Date.now()
    const f = certFactory()
    dir = f.dir
    root = f.issue({ cn: "root", notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY), ca: true })
    interNotAfter = now + 20 * DAY + HOUR
    leafNotAfter = now + 90 * DAY + HOUR
    const inter = f.issue({ cn: "inter", notBefore: new Date(now - DAY), notAfter: new Date(interNotAfter), ca: true, issuer: root })
    const leaf = f.issue({ cn: "localhost", notBefore: new Date(now - DAY), notAfter: new Date(leafNotAfter), issuer: inter })
    const old = f.issue({ cn: "old", notBefore: new Date(now - 100 * DAY), notAfter: new Date(now - 2 * DAY - HOUR), issuer: root })
    const three = f.issue({ cn: "three", notBefore: new Date(now - DAY), notAfter: new Date(now + 3 * DAY + HOUR), issuer: root })
    const self = f.issue({ cn: "self", notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY + HOUR) })
    writeFileSync(join(dir, "trusted.pem"), await Bun.file(root.cert).text())
    expired = await startSServer(old)
    soon = await startSServer(three)
    selfSigned = await startSServer(self)
    chained = await startSServer(leaf, [inter.cert])
    sni = await startSServer(self, [], { servername: "localhost", cert2: three })
    servers.push(expired, soon, selfSigned, chained, sni)
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
  })

  const probe = (config: Record<string, unknown>, log?: string[]) =>
    makeSource<CertificateSource>(
      CertificateSource,
      { type: "Certificate", caFile: join(dir, "trusted.pem"), timeout: 3, ...config },
      { log },
    ).probe()

  itWithTools(["openssl"], "an expired certificate: negative days, not verified (CERT_HAS_EXPIRED, logged)", async () => {
    const log: string[] = []
    const got = values(await probe({ url: `https://localhost:${expired.port}` }, log))
    expect(got.cert_expire_days).toBe(-2)
    expect(got.chain_expire_days).toBe(-2)
    expect(got.verified).toBe(0)
    expect(log.join("\n")).toContain("certificate not verified: CERT_HAS_EXPIRED")
  })

  itWithTools(["openssl"], "one expiring in 3 days, signed by the trusted root: 3, verified", async () => {
    const got = values(await probe({ host: "localhost", port: soon.port }))
    expect(got).toMatchObject({ cert_expire_days: 3, chain_expire_days: 3, verified: 1 })
  })

  itWithTools(["openssl"], "self-signed: its days, not verified", async () => {
    const log: string[] = []
    const got = values(await probe({ url: `https://localhost:${selfSigned.port}` }, log))
    expect(got).toMatchObject({ cert_expire_days: 30, verified: 0 })
    expect(log.join("\n")).toMatch(/certificate not verified: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT)/)
  })

  itWithTools(["openssl"], "a chain whose intermediate expires first: the leaf's days and the chain's earliest", async () => {
    const got = values(await probe({ url: `https://localhost:${chained.port}` }))
    expect(got).toMatchObject({ cert_expire_days: 90, chain_expire_days: 20, verified: 1 })
    expect(got.not_after_timestamp).toBe(Math.floor(leafNotAfter / 1000))
    // without the private root the same chain does not verify
    const untrusted = values(await probe({ url: `https://localhost:${chained.port}`, caFile: undefined }))
    expect(untrusted).toMatchObject({ cert_expire_days: 90, chain_expire_days: 20, verified: 0 })
  })

  itWithTools(["openssl"], "a certificate for another name does not verify (host name checked)", async () => {
    const log: string[] = []
    const got = values(await probe({ url: `https://localhost:${soon.port}`, servername: "other.example" }, log))
    expect(got.verified).toBe(0)
    expect(log.join("\n")).toContain("Host: other.example. is not in the cert's altnames: DNS:localhost")
  })

  itWithTools(["openssl"], "sends the host name as SNI: the server's certificate for that name comes back", async () => {
    expect(values(await probe({ url: `https://localhost:${sni.port}` })).cert_expire_days).toBe(3)
    // an address sends no SNI: the default certificate
    expect(values(await probe({ url: `https://127.0.0.1:${sni.port}` })).cert_expire_days).toBe(30)
  })

  itWithTools(["openssl"], "a refused port: one target fails the probe, in a list it is ok 0 and the others are reported", async () => {
    const down = freePort()
    await expect(probe({ url: `https://localhost:${down}` })).rejects.toThrow(`localhost:${down}: TLS handshake failed: connection refused`)
    const log: string[] = []
    const urls = [`https://localhost:${soon.port}`, `https://localhost:${down}`]
    const got = values(await probe({ url: urls }, log))
    expect(got).toMatchObject({ [`ok ${urls[0]}`]: 1, [`cert_expire_days ${urls[0]}`]: 3, [`ok ${urls[1]}`]: 0 })
    expect(got[`cert_expire_days ${urls[1]}`]).toBeUndefined()
    expect(log.filter((line) => line.includes("connection refused"))).toHaveLength(1)
  })

  itWithTools(["openssl"], "a server that never answers the handshake: a timeout, the others still reported in time", async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      await expect(probe({ url: `https://localhost:${silent.port}`, timeout: 1 })).rejects.toThrow("no TLS handshake within 0.9 s")
      expect(Date.now() - started).toBeLessThan(2000)
      const urls = [`https://localhost:${silent.port}`, `https://localhost:${soon.port}`]
      const got = values(await probe({ url: urls, timeout: 1 }))
      expect(got).toMatchObject({ [`ok ${urls[0]}`]: 0, [`ok ${urls[1]}`]: 1, [`cert_expire_days ${urls[1]}`]: 3 })
    } finally {
      await silent.stop()
    }
  })

  itWithTools(["openssl"], "a list is probed `concurrency` at a time", async () => {
    const silent = await startSilentServer()
    try {
      const urls = Array.from({ length: 6 }, (_, i) => `https://localhost:${silent.port}/${i}`)
      const started = Date.now()
      const got = values(await probe({ url: urls, timeout: 0.5, concurrency: 2 }))
      // 6 handshakes of ~0.45 s, 2 at a time: 3 rounds
      expect(Date.now() - started).toBeGreaterThan(1200)
      // the first round's two connections are accepted at once, the next ones a timeout later
      const first = silent.acceptedAt()[0]!
      expect(silent.acceptedAt().map((at) => Math.round((at - first) / 450))).toEqual([0, 0, 1, 1, 2, 2])
      expect(urls.map((url) => got[`ok ${url}`])).toEqual([0, 0, 0, 0, 0, 0])
    } finally {
      await silent.stop()
    }
  })

  itWithTools(["openssl"], "a server that answers in plain text or hangs up: a clear failure, never a hang", async () => {
    for (const answer of ["HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", ""]) {
      const server = Bun.listen({
        hostname: "127.0.0.1",
        port: 0,
        socket: {
          open(socket) {
            if (answer) socket.write(answer)
            socket.end()
          },
          data() {},
        },
      })
      try {
        const started = Date.now()
        await expect(probe({ url: `https://localhost:${server.port}` })).rejects.toThrow(
          /TLS handshake failed|closed the connection during the TLS handshake/,
        )
        expect(Date.now() - started).toBeLessThan(2000)
      } finally {
        server.stop(true)
      }
    }
  })

  itWithTools(["openssl"], "a caFile that is missing or not PEM: the probe says which", async () => {
    await expect(probe({ url: `https://localhost:${soon.port}`, caFile: join(dir, "nope.pem") })).rejects.toThrow(
      `caFile: cannot read ${join(dir, "nope.pem")}`,
    )
    writeFileSync(join(dir, "garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    await expect(probe({ url: `https://localhost:${soon.port}`, caFile: join(dir, "garbage.pem") })).rejects.toThrow(
      "holds no usable PEM certificate",
    )
  })
})

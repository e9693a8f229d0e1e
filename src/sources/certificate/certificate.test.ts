import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { getEventListeners } from "node:events"
import { readFileSync, writeFileSync } from "node:fs"
import { createSecureContext, createServer as createTlsServer } from "node:tls"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { atFixedTime } from "../../../test/helpers/fixed-clock.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import * as v from "valibot"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { silentLogger } from "../../core/log.ts"
import { createSourceContext } from "../../core/source-context.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { certFactory, type Issued, startSServer, startSilentServer, type TlsServer } from "./fake-tls-server.ts"
import { chainDates, peerChain } from "./handshake.ts"
import { CertificateSource, wholeDays } from "./index.ts"
import { hostTarget, urlTarget } from "./target.ts"

/** The fixed clock of the golden cases: the dates in their certs.json are around it. */
const GOLDEN_NOW = new Date("2026-03-02T12:00:00Z")

interface CertsJson {
  certs: { cn: string; notBefore: string; notAfter: string; ca?: boolean; issuer?: string }[]
  /** By the port written in config.json: the leaf and chain served there, or a refused port. */
  servers: Record<string, { leaf?: string; chain?: string[]; refused?: boolean }>
}

/**
 * Makes the case's certificates (certs.json, fixed dates), serves each with `openssl s_server`
 * on a free loopback port, probes the config's URLs rewritten to those ports at GOLDEN_NOW, and
 * writes the `url` labels back as configured.
 */
async function golden(testCase: GoldenCase) {
  const spec = (await Bun.file(join(testCase.dir, "certs.json")).json()) as CertsJson
  const factory = certFactory()
  const issued = new Map<string, Issued>()
  for (const cert of spec.certs) {
    const issuer = cert.issuer ? issued.get(cert.issuer) : undefined
    issued.set(
      cert.cn,
      factory.issue({ cn: cert.cn, notBefore: new Date(cert.notBefore), notAfter: new Date(cert.notAfter), ca: cert.ca, issuer }),
    )
  }
  const servers: TlsServer[] = []
  const ports = new Map<string, number>()
  try {
    for (const [port, server] of Object.entries(spec.servers)) {
      if (server.refused) {
        ports.set(port, freePort())
        continue
      }
      const started = await startSServer(
        issued.get(server.leaf!)!,
        (server.chain ?? []).map((cn) => issued.get(cn)!.cert),
      )
      servers.push(started)
      ports.set(port, started.port)
    }
    const configured = ([] as string[]).concat(testCase.config.url as string | string[])
    const served = configured.map((url) => {
      const parsed = new URL(url)
      parsed.port = String(ports.get(parsed.port))
      return parsed.href
    })
    const url = Array.isArray(testCase.config.url) ? served : served[0]
    const source = makeSource<CertificateSource>(CertificateSource, { ...testCase.config, url, timeout: 5 }, { compat: testCase.compat })
    const sets = await atFixedTime(GOLDEN_NOW, () => source.probe())
    for (const set of sets)
      for (const value of set.values) value.labelValues = value.labelValues.map((l) => configured[served.indexOf(l)] ?? l)
    return [sets]
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

sourceConformance({
  type: "Certificate",
  cls: CertificateSource,
  dir: import.meta.dir,
  golden,
  failing: {
    config: { type: "Certificate", url: `https://127.0.0.1:${freePort()}`, timeout: 2 },
    message: /127\.0\.0\.1:\d+: TLS handshake failed: connection refused/,
  },
})

describe("Certificate: options and targets", () => {
  const problems = (config: Record<string, unknown>) => {
    const result = v.safeParse(CertificateSource.options, config)
    return result.success ? [] : result.issues.map((issue) => issue.message)
  }
  it("takes url (one or a list) or 1.2's host/port, and refuses neither", () => {
    expect(problems({ url: "https://example.org" })).toEqual([])
    expect(problems({ host: "example.org", port: 8443 })).toEqual([])
    expect(problems({ url: ["https://a.example", "ldaps://b.example"] })).toEqual([])
    expect(problems({})).toEqual(["expected `url` or `host`"])
    expect(problems({ url: "gopher://x.example" })).toEqual(["no port, and no default port for gopher:"])
    expect(problems({ url: "not a url" })).toEqual(["expected a URL (https://host[:port])"])
    expect(problems({ url: [] })[0]).toContain("length")
  })
  it("targets: default ports as 1.2, SNI only for names", () => {
    expect(urlTarget("https://example.org/path")).toEqual({
      host: "example.org",
      port: 443,
      servername: "example.org",
      label: "https://example.org/path",
    })
    expect(urlTarget("http://example.org").port).toBe(80)
    expect(urlTarget("https://[::1]:8443")).toMatchObject({ host: "::1", port: 8443, servername: undefined })
    expect(urlTarget("https://127.0.0.1:8443").servername).toBeUndefined()
  })
  it("whole days towards zero, as 1.2's int()", () => {
    const day = 86_400_000
    expect(wholeDays(2.9 * day, 0)).toBe(2)
    expect(wholeDays(-1.5 * day, 0)).toBe(-1)
    expect(Object.is(wholeDays(-0.5 * day, 0), 0)).toBe(true)
  })
})

describe("side by side with pollect 1.2", () => {
  itWithTools(["openssl"], "the same series and value as 1.2's /metrics for the same certificate", async () => {
    const dir = join(import.meta.dir, "testdata/python-1.2")
    const server = await startSServer({ cert: join(dir, "cert.pem"), key: join(dir, "key.pem") })
    try {
      const source = makeSource<CertificateSource>(
        CertificateSource,
        { type: "Certificate", name: "cert", url: `https://localhost:${server.port}` },
        { compat: "1.2" },
      )
      const sets = await atFixedTime(new Date("2026-12-01T23:49:26Z"), () => source.probe())
      const ours = pollectExposition([resultOf(sets, { type: "Certificate", name: "cert" })])
      const { python, ours: mine } = sideBySide(readFileSync(join(dir, "metrics.txt"), "utf8"), ours)
      expect([...mine]).toEqual([...python])
      expect([...python]).toEqual([["pollect_Certificate_cert_cert_expire_days{}", 3]])
    } finally {
      await server.stop()
    }
  })
})

describe("Certificate: the README's tables", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(
      regenerated({ kind: "sources", type: "Certificate", aliases: [], cls: CertificateSource, dir: import.meta.dir, readme }, text),
    ).toBe(text)
  })
})

describe("Certificate: a URL without a host", () => {
  it("is refused as such, not for its missing port", () => {
    const result = v.safeParse(CertificateSource.options, { url: "file:///etc/hosts" })
    expect(result.success ? [] : result.issues.map((issue) => issue.message)).toEqual(["expected a URL with a host"])
  })
})

describe("Certificate: the chain read from a peer certificate", () => {
  type Peer = Parameters<typeof chainDates>[0]
  const peer = (
    cn: string | undefined,
    issuer?: Peer,
    dates = { valid_from: "Mar  1 00:00:00 2026 GMT", valid_to: "Apr  1 00:00:00 2026 GMT" },
  ) => ({ subject: cn === undefined ? undefined : { CN: cn }, ...dates, issuerCertificate: issuer }) as unknown as Peer

  it("leaf first, each certificate once (a root is its own issuer), at most 16", () => {
    const root = peer("root")
    ;(root as { issuerCertificate: Peer }).issuerCertificate = root
    const chain = chainDates(peer("leaf", peer("inter", root)))
    expect(chain.map((c) => c.subject)).toEqual(["leaf", "inter", "root"])
    expect(chain[0]).toEqual({
      subject: "leaf",
      notBefore: Date.parse("2026-03-01T00:00:00Z"),
      notAfter: Date.parse("2026-04-01T00:00:00Z"),
    })
    let long: Peer | undefined
    for (let i = 20; i > 0; i--) long = peer(`c${i}`, long)
    expect(chainDates(long!).map((c) => c.subject)).toEqual(Array.from({ length: 16 }, (_, i) => `c${i + 1}`))
  })

  it("stops at an issuer without dates (Node's empty object), names a certificate without a CN ``", () => {
    expect(chainDates(peer(undefined, peer("x", {} as Peer))).map((c) => c.subject)).toEqual(["", "x"])
    expect(chainDates(peer("x", { ...peer("y"), subject: {} } as unknown as Peer)).map((c) => c.subject)).toEqual(["x", ""])
  })

  it("unreadable dates, in either field, are an error that quotes them", () => {
    expect(() => chainDates(peer("x", undefined, { valid_from: "soon", valid_to: "Apr  1 00:00:00 2026 GMT" }))).toThrow(
      "unreadable validity dates: soon / Apr  1 00:00:00 2026 GMT",
    )
    expect(() => chainDates(peer("x", undefined, { valid_from: "Mar  1 00:00:00 2026 GMT", valid_to: "later" }))).toThrow(
      "unreadable validity dates",
    )
  })
})

/** A TLS server in this process serving `issued` (certificate and key files). */
async function tlsServer(issued: Issued, port = 0): Promise<TlsServer> {
  const server = createTlsServer({ key: readFileSync(issued.key), cert: readFileSync(issued.cert) })
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
  return {
    port: (server.address() as { port: number }).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe("Certificate: handshakes (certificates made around the real clock, servers in this process)", () => {
  const DAY = 86_400_000
  const HOUR = 3_600_000
  let dir = ""
  let rootPem = ""
  let signed: TlsServer
  let self: TlsServer
  let silent: TlsServer & { acceptedAt: () => number[] }
  let leaf: Issued
  const servers: TlsServer[] = []

  beforeAll(async () => {
    if (!Bun.which("openssl")) return
    const now = Date.now()
    const f = certFactory()
    dir = f.dir
    const root = f.issue({ cn: "root", notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY), ca: true })
    leaf = f.issue({ cn: "localhost", notBefore: new Date(now - DAY), notAfter: new Date(now + 5 * DAY + HOUR), issuer: root })
    const selfSigned = f.issue({ cn: "self", notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY + HOUR) })
    rootPem = join(dir, "root-only.pem")
    writeFileSync(rootPem, readFileSync(root.cert, "utf8"))
    signed = await tlsServer(leaf)
    self = await tlsServer(selfSigned)
    silent = await startSilentServer()
    servers.push(signed, self, silent)
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
  })

  const values = (sets: ValueSet[]) =>
    Object.fromEntries(sets.flatMap((set) => set.values.map((value) => [[value.name, ...value.labelValues].join(" "), value.value])))
  const probe = (config: Record<string, unknown>, log?: string[]) =>
    makeSource<CertificateSource>(CertificateSource, { type: "Certificate", timeout: 3, ...config }, { log }).probe()

  itWithTools(["openssl"], "host/port: days and verified against caFile (relative to the config's folder)", async () => {
    const log: string[] = []
    const got = values(
      await makeSource<CertificateSource>(
        CertificateSource,
        { type: "Certificate", host: "localhost", port: signed.port, caFile: "root-only.pem", timeout: 3 },
        { configDir: dir, log },
      ).probe(),
    )
    expect(got).toMatchObject({ cert_expire_days: 5, chain_expire_days: 5, verified: 1 })
    expect(log).toEqual([])
  })

  itWithTools(["openssl"], "without the private root: not verified, logged once with the host:port label", async () => {
    const log: string[] = []
    const source = makeSource<CertificateSource>(CertificateSource, { type: "Certificate", host: "localhost", port: signed.port }, { log })
    expect(values(await source.probe())).toMatchObject({ cert_expire_days: 5, verified: 0 })
    await source.probe()
    expect(log.filter((line) => line.includes("not verified"))).toHaveLength(1)
    expect(log.join("\n")).toContain(`localhost:${signed.port}: certificate not verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE`)
  })

  itWithTools(["openssl"], "an IP address: no SNI, checked against the certificate's IP altname", async () => {
    expect(values(await probe({ url: `https://127.0.0.1:${signed.port}`, caFile: rootPem })).verified).toBe(1)
  })

  itWithTools(["openssl"], "servername: checked instead of the host, for one target and a list", async () => {
    const log: string[] = []
    expect(
      values(await probe({ url: `https://localhost:${signed.port}`, caFile: rootPem, servername: "other.example" }, log)).verified,
    ).toBe(0)
    expect(log.join("\n")).toContain("certificate not verified: Hostname/IP does not match certificate's altnames: Host: other.example.")
    const url = `https://localhost:${signed.port}`
    const listed = values(await probe({ url: [url], caFile: rootPem, servername: "other.example" }))
    expect(listed).toMatchObject({ [`verified ${url}`]: 0, [`ok ${url}`]: 1, [`cert_expire_days ${url}`]: 5 })
  })

  itWithTools(["openssl"], "a list: a verified and an unverified target are logged apart; a recovered verification is said", async () => {
    const log: string[] = []
    const urls = [`https://localhost:${self.port}`, `https://localhost:${signed.port}`]
    const source = makeSource<CertificateSource>(
      CertificateSource,
      { type: "Certificate", url: urls, caFile: rootPem, timeout: 3 },
      { log },
    )
    expect(values(await source.probe())).toMatchObject({ [`verified ${urls[0]}`]: 0, [`verified ${urls[1]}`]: 1 })
    expect(log).toHaveLength(1)
    expect(log[0]).toMatch(
      new RegExp(`${urls[0]}: certificate not verified: (DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$`),
    )
  })

  itWithTools(["openssl"], "a self-signed certificate for another name: the chain's error is kept, not the name's", async () => {
    const log: string[] = []
    await probe({ url: `https://localhost:${self.port}`, servername: "other.example" }, log)
    expect(log.join("\n")).toMatch(/certificate not verified: (DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/)
  })

  itWithTools(["openssl"], "a refused target of a list is logged once, and its recovery", async () => {
    const port = freePort()
    const url = `https://localhost:${port}`
    const log: string[] = []
    const source = makeSource<CertificateSource>(CertificateSource, { type: "Certificate", url: [url], timeout: 3 }, { log })
    expect(values(await source.probe())).toEqual({ [`ok ${url}`]: 0 })
    await source.probe()
    expect(log).toEqual([expect.stringContaining(`${url}: localhost:${port}: TLS handshake failed: connection refused`)])
    const server = await tlsServer(leaf, port)
    try {
      expect(values(await source.probe())[`ok ${url}`]).toBe(1)
      expect(log.slice(1).filter((line) => line.includes("handshake works again"))).toEqual([
        expect.stringContaining(`${url}: handshake works again`),
      ])
    } finally {
      await server.stop()
    }
  })

  itWithTools(["openssl"], "a server that is not TLS: the handshake error, not a refused connection", async () => {
    const server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          socket.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
          socket.end()
        },
        data() {},
      },
    })
    try {
      const message = await probe({ url: `https://localhost:${server.port}` }).then(
        () => "resolved",
        (error: Error) => error.message,
      )
      expect(message).toStartWith(`localhost:${server.port}: TLS handshake failed: `)
      expect(message).not.toContain("connection refused")
    } finally {
      server.stop(true)
    }
  })

  itWithTools(["openssl"], "caFile missing or not PEM: the probe says which", async () => {
    await expect(probe({ url: `https://localhost:${signed.port}`, caFile: join(dir, "nope.pem") })).rejects.toThrow(
      `caFile: cannot read ${join(dir, "nope.pem")}: `,
    )
    const garbage = join(dir, "garbage.pem")
    writeFileSync(garbage, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    await expect(probe({ url: `https://localhost:${signed.port}`, caFile: garbage })).rejects.toThrow(
      `caFile: ${garbage} holds no usable PEM certificate: `,
    )
  })

  itWithTools(["openssl"], "a handshake that never finishes: the probe's timeout less a tenth, in the message", async () => {
    const parsed = v.parse(CertificateSource.options, { url: `https://localhost:${silent.port}` })
    const { ctx, setSignal } = createSourceContext({ log: silentLogger, stateDir: tempDir(), configDir: process.cwd() })
    setSignal(new AbortController().signal, 300)
    await expect(new CertificateSource({ type: "Certificate", ...parsed }, ctx).probe()).rejects.toThrow(
      `localhost:${silent.port}: no TLS handshake within 0.27 s`,
    )
  })

  it("each handshake's deadline: a tenth (at most 0.2 s) before the probe's timeout, at least 0.1 s", () => {
    const deadline = (config: Record<string, unknown>, timeoutMs?: number) => {
      const parsed = v.parse(CertificateSource.options, { url: "https://example.org", ...config })
      const { ctx, setSignal } = createSourceContext({ log: silentLogger, stateDir: tempDir(), configDir: process.cwd() })
      if (timeoutMs !== undefined) setSignal(new AbortController().signal, timeoutMs)
      const source = new CertificateSource({ type: "Certificate", ...config, ...parsed }, ctx)
      return (source as unknown as { handshakeTimeoutMs(): number }).handshakeTimeoutMs()
    }
    expect(deadline({})).toBe(9800)
    expect(deadline({ timeout: 1 })).toBe(900)
    expect(deadline({ timeout: 30 }, 1500)).toBe(1350)
    expect(deadline({}, 50)).toBe(100)
  })

  itWithTools(["openssl"], "the probe's deadline aborts a handshake: the probe fails with its reason, also for a list", async () => {
    for (const url of [`https://localhost:${silent.port}`, [`https://localhost:${silent.port}`]]) {
      const parsed = v.parse(CertificateSource.options, { url, timeout: 30 })
      const { ctx, setSignal } = createSourceContext({ log: silentLogger, stateDir: tempDir(), configDir: process.cwd() })
      const controller = new AbortController()
      setSignal(controller.signal, 30_000)
      const source = new CertificateSource({ type: "Certificate", ...parsed }, ctx)
      const accepted = silent.acceptedAt().length
      const probing = source.probe()
      while (silent.acceptedAt().length === accepted) await Bun.sleep(5)
      const reason = new Error("probe deadline")
      controller.abort(reason)
      expect(
        await probing.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ).toBe(reason)
    }
  })

  itWithTools(["openssl"], "peerChain: an aborted signal rejects at once, a reason that is no Error is `aborted`", async () => {
    const target = hostTarget("localhost", silent.port)
    const secureContext = createSecureContext({})
    const before = new AbortController()
    before.abort("gone")
    expect(await peerChain(target, { secureContext, timeoutMs: 30_000, signal: before.signal }).catch((e: unknown) => e)).toBe("gone")
    const during = new AbortController()
    const accepted = silent.acceptedAt().length
    const pending = peerChain(target, { secureContext, timeoutMs: 30_000, signal: during.signal }).catch((e: Error) => e.message)
    while (silent.acceptedAt().length === accepted) await Bun.sleep(5)
    during.abort("not an error")
    expect(await pending).toBe("aborted")
  })

  itWithTools(["openssl"], "peerChain leaves no abort listener on the probe's signal", async () => {
    const signal = new AbortController().signal
    const secureContext = createSecureContext({ ca: [readFileSync(rootPem, "utf8")] })
    const chain = await peerChain(hostTarget("localhost", signed.port), { secureContext, timeoutMs: 5000, signal })
    expect(chain.verified).toBe(true)
    expect(getEventListeners(signal, "abort")).toHaveLength(0)
  })

  itWithTools(["openssl"], "the system's roots (SSL_CERT_FILE) are trusted without caFile", async () => {
    // A child process: the system store is read once per process.
    const script = `
      import { makeSource } from ${JSON.stringify(join(import.meta.dir, "../../../test/helpers/context.ts"))}
      import { CertificateSource } from ${JSON.stringify(join(import.meta.dir, "index.ts"))}
      const sets = await makeSource(CertificateSource, { type: "Certificate", url: "https://localhost:${signed.port}", timeout: 3 }).probe()
      console.log(sets.find((set) => set.values[0].name === "verified").values[0].value)
    `
    const child = Bun.spawn([process.execPath, "-e", script], {
      env: { ...process.env, SSL_CERT_FILE: rootPem, SSL_CERT_DIR: join(dir, "none") },
      stdout: "pipe",
      stderr: "pipe",
    })
    const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()])
    await child.exited
    expect([out.trim(), child.exitCode, err]).toEqual(["1", 0, ""])
  })
})

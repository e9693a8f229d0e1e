import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { atFixedTime } from "../../../test/helpers/fixed-clock.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import * as v from "valibot"
import { certFactory, type Issued, startSServer, type TlsServer } from "./fake-tls-server.ts"
import { CertificateSource, wholeDays } from "./index.ts"
import { urlTarget } from "./target.ts"

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

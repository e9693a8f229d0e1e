import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { redact, silentLogger } from "../../core/log.ts"
import { RateTracker } from "../../core/rate.ts"
import { createSourceContext } from "../../core/source-context.ts"
import { toValueSets, type ProbeResult } from "../../core/value-set.ts"
import { builtinSources } from "../index.ts"
import { baseUrlOf, countersFromAddonInfos, FritzboxSource, lastUserFromList, linkFromProperties, parseCounter } from "./index.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { startFakeFritzbox, type FakeFritzbox, type FakeFritzboxOptions } from "./fake-server.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { byGraphitePath, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { serveFake } from "../../../test/helpers/fake-server.ts"
import { makeLoggedSource } from "../../../test/helpers/logged-source.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

const PASSWORD = "box-Secret-4711"

/**
 * A golden case's box.json: the fake box's options, then its counters and link (64-bit totals
 * as strings) before each probe, `secondsBetween` apart on the rate's clock.
 */
interface RecordedBox {
  box: FakeFritzboxOptions
  secondsBetween: number
  probes: ({ bytesSent: string; bytesReceived: string } & Partial<
    Pick<FakeFritzbox, "linkStatus" | "upstreamMaxBitRate" | "downstreamMaxBitRate">
  >)[]
}

/** A Fritzbox source whose rates run on `now` (milliseconds) instead of the wall clock. */
function fritzboxWithClock(config: Record<string, unknown>, now: () => number): FritzboxSource {
  const parsed = v.parse(FritzboxSource.options, config)
  const { ctx } = createSourceContext({ log: silentLogger, stateDir: tempDir(), configDir: process.cwd() })
  ;(ctx as { rate: RateTracker }).rate = new RateTracker(now)
  return new FritzboxSource({ type: "Fritzbox", ...config, ...parsed }, ctx)
}

/** Starts the case's box on loopback, points config.json's url (or ip/port) at it, probes once per recorded state. */
async function golden(testCase: GoldenCase): Promise<ProbeResult[]> {
  const recorded = (await Bun.file(join(testCase.dir, "box.json")).json()) as RecordedBox
  const box = startFakeFritzbox(recorded.box)
  try {
    let now = 0
    const config = testCase.config.url ? { ...testCase.config, url: box.url } : { ...testCase.config, port: box.port }
    const source = fritzboxWithClock(config, () => now)
    const probes: ProbeResult[] = []
    for (const [i, { bytesSent, bytesReceived, ...link }] of recorded.probes.entries()) {
      if (i > 0) now += recorded.secondsBetween * 1000
      Object.assign(box, link, { bytesSent: BigInt(bytesSent), bytesReceived: BigInt(bytesReceived) })
      probes.push(await source.probe())
    }
    return probes
  } finally {
    await box.stop()
  }
}

/** The failing case's box has a password other than the config's; its URL is known once it runs. */
const failingConfig: Record<string, unknown> = { type: "Fritzbox", user: "admin", pass: PASSWORD }

sourceConformance({
  type: "Fritzbox",
  cls: FritzboxSource,
  dir: import.meta.dir,
  golden,
  failing: {
    config: failingConfig,
    setup: () => {
      const box = startFakeFritzbox({ user: "admin", password: "changed-on-the-box" })
      failingConfig.url = box.url
      return () => void box.stop()
    },
    message: /authentication failed for user "admin" at http:\/\/127\.0\.0\.1:\d+: wrong user or password/,
  },
})

/** Graphite path → value, as a plain object for toEqual. */
const paths = (probe: ProbeResult) => Object.fromEntries(byGraphitePath(probe, "Fritzbox"))

/** Two probes with counters moved in between; the rate must lie within the bounds the wall clock allows. */
async function twoProbes(source: FritzboxSource, move: () => void) {
  const t0 = performance.now()
  const first = paths(await source.probe())
  const t1 = performance.now()
  await Bun.sleep(30)
  move()
  const t2 = performance.now()
  const second = paths(await source.probe())
  const t3 = performance.now()
  const bounds = (delta: number) => [(delta * 1000) / (t3 - t0), (delta * 1000) / (t2 - t1)] as const
  return { first, second, bounds }
}

describe("Fritzbox (pure)", () => {
  it("builds the base URL from ip/host, port and tls", () => {
    expect(baseUrlOf({ ip: "192.168.178.1", tls: false, verifyTls: false })).toBe("http://192.168.178.1:49000")
    expect(baseUrlOf({ host: "fritz.box", tls: true, verifyTls: false })).toBe("https://fritz.box:49443")
    expect(baseUrlOf({ host: "fd00::1", port: 1234, tls: false, verifyTls: false })).toBe("http://[fd00::1]:1234")
    expect(() => baseUrlOf({ tls: false, verifyTls: false })).toThrow(/needs "ip"/)
  })

  it("takes 64-bit counters from GetAddonInfos only when present", () => {
    expect(countersFromAddonInfos({ NewX_AVM_DE_TotalBytesSent64: "18446744073709551000", NewX_AVM_DE_TotalBytesReceived64: "7" })).toEqual(
      {
        sent: 18446744073709551000n,
        received: 7n,
        bits: 64,
      },
    )
    expect(countersFromAddonInfos({ NewTotalBytesSent: "1" })).toBeUndefined()
    expect(() => countersFromAddonInfos({ NewX_AVM_DE_TotalBytesSent64: "x", NewX_AVM_DE_TotalBytesReceived64: "1" })).toThrow(
      /not a counter/,
    )
  })

  it("reads link state and the last user", () => {
    expect(
      linkFromProperties({ NewPhysicalLinkStatus: "Down", NewLayer1UpstreamMaxBitRate: "1", NewLayer1DownstreamMaxBitRate: "2" }),
    ).toEqual({
      up: false,
      upstreamMaxBitRate: 1,
      downstreamMaxBitRate: 2,
    })
    expect(lastUserFromList('<List><Username last_user="0">a</Username><Username last_user="1">bob</Username></List>')).toBe("bob")
    expect(lastUserFromList("<List></List>")).toBeUndefined()
  })

  it("is registered as Fritzbox and as the original's Fritz", () => {
    expect(builtinSources.Fritzbox?.cls).toBe(FritzboxSource)
    expect(builtinSources.Fritz?.cls).toBe(FritzboxSource)
  })
})

describe("Fritzbox against the fake box", () => {
  let box: FakeFritzbox
  beforeAll(() => {
    box = startFakeFritzbox({ user: "admin", password: PASSWORD })
  })
  afterAll(() => box.stop())
  const make = (extra: Record<string, unknown> = {}) =>
    makeLoggedSource<FritzboxSource>(FritzboxSource, { type: "Fritzbox", url: box.url, user: "admin", pass: PASSWORD, ...extra })

  it("reports 64-bit totals, rates, link state and max rates (GetAddonInfos)", async () => {
    box.igd = true
    box.bytesSent = 2n ** 40n
    box.bytesReceived = 2n ** 41n
    const { source } = make()
    const { first, second, bounds } = await twoProbes(source, () => {
      box.bytesSent += 3_000_000n
      box.bytesReceived += 9_000_000n
    })
    expect(first).toEqual({
      "pollect.fritzbox.recv_bytes": 2 ** 41,
      "pollect.fritzbox.sent_bytes": 2 ** 40,
      "pollect.fritzbox.upstream_max": 40_000_000,
      "pollect.fritzbox.downstream_max": 250_000_000,
      "pollect.fritzbox.link_up": 1,
    })
    expect(second["pollect.fritzbox.recv_bytes"]).toBe(2 ** 41 + 9_000_000)
    const [recvLow, recvHigh] = bounds(9_000_000)
    expect(second["pollect.fritzbox.recv_bytes_sec"]).toBeGreaterThanOrEqual(recvLow)
    expect(second["pollect.fritzbox.recv_bytes_sec"]).toBeLessThanOrEqual(recvHigh)
    const [sentLow, sentHigh] = bounds(3_000_000)
    expect(second["pollect.fritzbox.sent_bytes_sec"]).toBeGreaterThanOrEqual(sentLow)
    expect(second["pollect.fritzbox.sent_bytes_sec"]).toBeLessThanOrEqual(sentHigh)
    expect(box.actions).toContain("urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1#GetAddonInfos")
  })

  it("falls back to 32-bit TR-064 counters and handles their wrap-around", async () => {
    box.igd = false
    try {
      box.bytesSent = 2n ** 32n - 1_000n
      box.bytesReceived = 2n ** 32n - 500n
      const { source } = make()
      const { first, second, bounds } = await twoProbes(source, () => {
        box.bytesSent += 5_000n // wraps: the box now reports 4000
        box.bytesReceived += 100_500n
      })
      expect(first["pollect.fritzbox.sent_bytes"]).toBe(2 ** 32 - 1_000)
      expect(second["pollect.fritzbox.sent_bytes"]).toBe(4_000)
      const [low, high] = bounds(5_000)
      expect(second["pollect.fritzbox.sent_bytes_sec"]).toBeGreaterThanOrEqual(low)
      expect(second["pollect.fritzbox.sent_bytes_sec"]).toBeLessThanOrEqual(high)
      expect(second["pollect.fritzbox.recv_bytes"]).toBe(100_000)
    } finally {
      box.igd = true
    }
  })

  it("link down is 0", async () => {
    box.linkStatus = "Down"
    try {
      expect(paths(await make().source.probe())["pollect.fritzbox.link_up"]).toBe(0)
    } finally {
      box.linkStatus = "Up"
    }
  })

  it("uses the box's last logged-in user when no user is configured", async () => {
    const other = startFakeFritzbox({ user: "fritz-user-7", password: PASSWORD, lastUser: "fritz-user-7" })
    try {
      const { source } = makeLoggedSource<FritzboxSource>(FritzboxSource, { type: "Fritz", url: other.url, pass: PASSWORD })
      expect(paths(await source.probe())["pollect.fritzbox.link_up"]).toBe(1)
      expect(other.authHeaders.at(-1)).toContain('username="fritz-user-7"')
    } finally {
      await other.stop()
    }
  })

  it("works with SHA-256 digests", async () => {
    box.algorithm = "SHA-256"
    try {
      expect(paths(await make().source.probe())["pollect.fritzbox.link_up"]).toBe(1)
      expect(box.authHeaders.at(-1)).toContain("algorithm=SHA-256")
    } finally {
      box.algorithm = "MD5"
    }
  })

  it("a wrong password is a clear error without the password; the right one recovers", async () => {
    const { source, lines } = make()
    box.password = "changed-on-the-box"
    const error = await Promise.resolve(source.probe()).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/authentication failed for user "admin"/)
    expect((error as Error).message).not.toContain(PASSWORD)
    expect((error as Error).message).not.toContain("changed-on-the-box")
    box.password = PASSWORD
    expect(paths(await source.probe())["pollect.fritzbox.link_up"]).toBe(1)
    expect(lines.join("\n")).not.toContain(PASSWORD)
  })

  it("a 500 or garbage fails that probe clearly; the next probe recovers", async () => {
    const { source } = make()
    await source.probe()
    box.failNext = { mode: "500", count: 1 }
    await expect(Promise.resolve(source.probe())).rejects.toThrow(/HTTP 500/)
    expect(paths(await source.probe())["pollect.fritzbox.link_up"]).toBe(1)
    box.failNext = { mode: "garbage", count: 1 }
    await expect(Promise.resolve(source.probe())).rejects.toThrow(/not valid XML/)
    expect(paths(await source.probe())["pollect.fritzbox.link_up"]).toBe(1)
  })

  it("an unreachable box is a per-probe error", async () => {
    const dead = startFakeFritzbox()
    const url = dead.url
    await dead.stop()
    const { source } = makeLoggedSource<FritzboxSource>(FritzboxSource, { type: "Fritzbox", url, pass: PASSWORD })
    await expect(Promise.resolve(source.probe())).rejects.toThrow()
  })

  itWithTools(["promtool"], "snake_case output passes promtool check metrics", async () => {
    const { source } = make()
    await twoProbes(source, () => (box.bytesSent += 1000n))
    const sets = toValueSets(await source.probe())
    const text = snakeCaseExposition(resultOf(sets, { type: "Fritzbox" }))
    expect(text).toContain("pollect_fritzbox_recv_bytes_total")
    // Rates and bit rates end in the base unit (naming.ts turns bits/s into bytes/s).
    expect(text).toMatch(/^pollect_fritzbox_sent_bytes_per_second \d/m)
    expect(text).toMatch(/^pollect_fritzbox_downstream_max_bytes_per_second 31250000$/m)
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})

describe("Fritzbox: the README's tables", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(
      regenerated({ kind: "sources", type: "Fritzbox", aliases: ["Fritz"], cls: FritzboxSource, dir: import.meta.dir, readme }, text),
    ).toBe(text)
  })
})

describe("Fritzbox (pure), edge by edge", () => {
  it("a host already in brackets is not bracketed again", () => {
    expect(baseUrlOf({ host: "[fd00::1]", tls: false, verifyTls: false })).toBe("http://[fd00::1]:49000")
  })

  it("counters: digits only (spaces around allowed), and the error quotes the value", () => {
    expect(parseCounter(" 12 ", "C")).toBe(12n)
    expect(() => parseCounter(undefined, "C")).toThrow(new Error("C is not a counter: null"))
    for (const bad of ["x12", "12x", "", "-1", "1.5"])
      expect(() => parseCounter(bad, "C")).toThrow(new Error(`C is not a counter: ${JSON.stringify(bad)}`))
  })

  it("64-bit counters need both values, neither empty; their errors name the field", () => {
    const both = { NewX_AVM_DE_TotalBytesSent64: "1", NewX_AVM_DE_TotalBytesReceived64: "2" }
    expect(countersFromAddonInfos({ NewX_AVM_DE_TotalBytesSent64: "1" })).toBeUndefined()
    expect(countersFromAddonInfos({ NewX_AVM_DE_TotalBytesReceived64: "2" })).toBeUndefined()
    expect(countersFromAddonInfos({ ...both, NewX_AVM_DE_TotalBytesSent64: "" })).toBeUndefined()
    expect(countersFromAddonInfos({ ...both, NewX_AVM_DE_TotalBytesReceived64: "" })).toBeUndefined()
    expect(() => countersFromAddonInfos({ ...both, NewX_AVM_DE_TotalBytesSent64: "s" })).toThrow(
      'NewX_AVM_DE_TotalBytesSent64 is not a counter: "s"',
    )
    expect(() => countersFromAddonInfos({ ...both, NewX_AVM_DE_TotalBytesReceived64: "r" })).toThrow(
      'NewX_AVM_DE_TotalBytesReceived64 is not a counter: "r"',
    )
  })

  it("link properties: a missing or unreadable bit rate is an error that quotes it", () => {
    const link = { NewPhysicalLinkStatus: "Up", NewLayer1UpstreamMaxBitRate: "1", NewLayer1DownstreamMaxBitRate: "2" }
    expect(() => linkFromProperties({ ...link, NewLayer1UpstreamMaxBitRate: "fast" })).toThrow(
      new Error('GetCommonLinkProperties: NewLayer1UpstreamMaxBitRate is not a number: "fast"'),
    )
    const { NewLayer1DownstreamMaxBitRate: _, ...withoutDown } = link
    expect(() => linkFromProperties(withoutDown)).toThrow(
      new Error("GetCommonLinkProperties: NewLayer1DownstreamMaxBitRate is not a number: null"),
    )
  })

  it("the last user: other attributes around last_user, spaces trimmed", () => {
    expect(lastUserFromList('<List><Username id="4" last_user="1" x="y"> bob </Username></List>')).toBe("bob")
  })

  it("the password is masked in logs from the start", () => {
    const pass = "fritz-mask-me-9931"
    fritzboxWithClock({ type: "Fritzbox", url: "http://127.0.0.1:1", user: "admin", pass }, () => 0)
    expect(redact(`digest for ${pass}`)).toBe("digest for ***")
  })
})

describe("Fritzbox against the fake box, step by step", () => {
  it("the descriptions are read once, not per probe; no empty rate set on the first probe", async () => {
    const box = startFakeFritzbox({ user: "admin", password: PASSWORD })
    try {
      let now = 0
      const source = fritzboxWithClock({ type: "Fritzbox", url: box.url, user: "admin", pass: PASSWORD }, () => now)
      const first = await source.probe()
      expect(toValueSets(first).map((set) => set.values.length)).toEqual([2, 2, 1])
      now += 10_000
      await source.probe()
      expect(box.requests.filter((r) => r.path === "/tr64desc.xml")).toHaveLength(1)
    } finally {
      await box.stop()
    }
  })

  it("a configured user is used even when the box names another as its last one", async () => {
    const box = startFakeFritzbox({ user: "admin", password: PASSWORD, lastUser: "bob" })
    try {
      const source = fritzboxWithClock({ type: "Fritzbox", url: box.url, user: "admin", pass: PASSWORD }, () => 0)
      expect(toValueSets(await source.probe()).length).toBe(3)
    } finally {
      await box.stop()
    }
  })

  it("no user and no last user on the box: dslf-config, as fritzconnection", async () => {
    const box = startFakeFritzbox({ user: "dslf-config", password: PASSWORD, lastUser: "" })
    try {
      const source = fritzboxWithClock({ type: "Fritzbox", url: box.url, pass: PASSWORD }, () => 0)
      expect(toValueSets(await source.probe()).length).toBe(3)
    } finally {
      await box.stop()
    }
  })

  it("64-bit counters are not taken for 32-bit ones: a fall below 2^32 is a reset, not a wrap", async () => {
    const box = startFakeFritzbox({ user: "admin", password: PASSWORD })
    try {
      let now = 0
      const source = fritzboxWithClock({ type: "Fritzbox", url: box.url, user: "admin", pass: PASSWORD }, () => now)
      box.bytesSent = 2n ** 32n - 1_000n
      box.bytesReceived = 2n ** 32n - 1_000n
      await source.probe()
      now += 10_000
      box.bytesSent = 4_000n
      box.bytesReceived = 2n ** 32n - 500n
      const second = paths(await source.probe())
      expect(second["pollect.fritzbox.sent_bytes_sec"]).toBeUndefined()
      expect(second["pollect.fritzbox.recv_bytes_sec"]).toBe(50)
      now += 10_000
      box.bytesSent = 14_000n
      box.bytesReceived = 3_000n
      const third = paths(await source.probe())
      expect(third["pollect.fritzbox.sent_bytes_sec"]).toBe(1_000)
      expect(third["pollect.fritzbox.recv_bytes_sec"]).toBeUndefined()
    } finally {
      await box.stop()
    }
  })
})

describe("Fritzbox: boxes that answer otherwise (the fake box behind a rewriting front)", () => {
  type Edit = (path: string, action: string, real: () => Promise<Response>) => Promise<Response> | Response
  /** The fake box behind a front whose `edit` may replace an answer (by path and SOAP action). */
  function fronted(edit: Edit, options: FakeFritzboxOptions = { user: "admin", password: PASSWORD }) {
    const box = startFakeFritzbox(options)
    const front = serveFake((request, url, body) => {
      const action = (request.headers.get("soapaction") ?? "").split("#")[1] ?? ""
      const real = () =>
        fetch(box.url + url.pathname + url.search, {
          method: request.method,
          headers: request.headers,
          body: request.method === "POST" ? body : undefined,
        })
      return edit(url.pathname, action, real)
    })
    return { box, front, stop: () => Promise.all([box.stop(), front.stop()]) }
  }
  const fault = (code: number) =>
    new Response(
      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError><errorCode>${code}</errorCode><errorDescription>Invalid Action</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`,
      { status: 500, headers: { "content-type": "text/xml" } },
    )
  const rewrite = async (real: () => Promise<Response>, from: RegExp, to: string) => {
    const answer = await real()
    return new Response((await answer.text()).replace(from, to), { status: answer.status, headers: answer.headers })
  }
  const probe = (url: string, fields: Record<string, unknown> = { user: "admin" }) =>
    fritzboxWithClock({ type: "Fritzbox", url, pass: PASSWORD, ...fields }, () => 0).probe()

  it("GetAddonInfos failing with a fault, or without 64-bit counters: the 32-bit TR-064 counters", async () => {
    for (const edit of [
      (action: string, real: () => Promise<Response>) => (action === "GetAddonInfos" ? fault(401) : real()),
      (action: string, real: () => Promise<Response>) =>
        action === "GetAddonInfos" ? rewrite(real, /<NewX_AVM_DE_TotalBytes\w+64>\d+<\/NewX_AVM_DE_TotalBytes\w+64>/g, "") : real(),
    ]) {
      const { box, front, stop } = fronted((_path, action, real) => edit(action, real))
      try {
        box.bytesSent = 2n ** 33n + 5n
        expect(paths(await probe(front.url))["pollect.fritzbox.sent_bytes"]).toBe(5)
        expect(box.actions).toContain("urn:dslforum-org:service:WANCommonInterfaceConfig:1#GetTotalBytesSent")
      } finally {
        await stop()
      }
    }
  })

  it("32-bit counters that are not numbers are named", async () => {
    for (const [action, field] of [
      ["GetTotalBytesReceived", "NewTotalBytesReceived"],
      ["GetTotalBytesSent", "NewTotalBytesSent"],
    ] as const) {
      const { front, stop } = fronted(
        (_path, a, real) => (a === action ? rewrite(real, new RegExp(`<${field}>\\d+</${field}>`), `<${field}>n/a</${field}>`) : real()),
        { user: "admin", password: PASSWORD, igd: false },
      )
      try {
        await expect(probe(front.url)).rejects.toThrow(new Error(`${field} is not a counter: "n/a"`))
      } finally {
        await stop()
      }
    }
  })

  it("a box without a WANCommonInterfaceConfig service says so", async () => {
    const { front, stop } = fronted(
      (path, _action, real) =>
        path === "/tr64desc.xml"
          ? rewrite(real, /<service><serviceType>urn:dslforum-org:service:WANCommonInterfaceConfig:1[\s\S]*?<\/service>/, "")
          : real(),
      { user: "admin", password: PASSWORD, igd: false },
    )
    try {
      await expect(probe(front.url)).rejects.toThrow(new Error(`${front.url} offers no WANCommonInterfaceConfig service`))
    } finally {
      await stop()
    }
  })

  it("no user: a user list that fails is dslf-config, one that refuses the login fails the probe", async () => {
    const listFails = fronted((_path, action, real) => (action === "X_AVM-DE_GetUserList" ? fault(820) : real()), {
      user: "dslf-config",
      password: PASSWORD,
    })
    try {
      expect(toValueSets(await probe(listFails.front.url, {})).length).toBe(3)
    } finally {
      await listFails.stop()
    }
    const challenge = () =>
      new Response(null, {
        status: 401,
        headers: { "www-authenticate": `Digest realm="x", nonce="${Math.random()}", algorithm=MD5, qop="auth"` },
      })
    const listRefuses = fronted((_path, action, real) => (action === "X_AVM-DE_GetUserList" ? challenge() : real()), {
      user: "dslf-config",
      password: PASSWORD,
    })
    try {
      await expect(probe(listRefuses.front.url, {})).rejects.toThrow(/authentication failed for user "dslf-config"/)
    } finally {
      await listRefuses.stop()
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import {
  findService,
  parseDescription,
  parseSoapResponse,
  soapEnvelope,
  Tr064AuthError,
  Tr064Client,
  Tr064Error,
  Tr064Fault,
} from "./tr064.ts"
import { startFakeFritzbox, type FakeFritzbox } from "./fake-server.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

describe("tr064 (pure)", () => {
  it("builds an envelope with the action in the service's namespace and escaped arguments", () => {
    const text = soapEnvelope("urn:dslforum-org:service:X:1", "SetIt", { NewName: 'a<b&"c"', NewOn: true })
    expect(text).toContain(
      '<u:SetIt xmlns:u="urn:dslforum-org:service:X:1"><NewName>a&lt;b&amp;&quot;c&quot;</NewName><NewOn>1</NewOn></u:SetIt>',
    )
    expect(text).toContain('xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"')
  })

  it("reads out-arguments as text, empty tags as empty strings", () => {
    const body = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetXResponse xmlns:u="urn:x"><NewA>0012</NewA><NewB></NewB></u:GetXResponse></s:Body></s:Envelope>`
    expect(parseSoapResponse(body, "GetX")).toEqual({ NewA: "0012", NewB: "" })
  })

  it("turns a SOAP fault into a Tr064Fault with the UPnP code", () => {
    const body = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>714</errorCode><errorDescription>NoSuchEntryInArray</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`
    expect(() => parseSoapResponse(body, "GetX")).toThrow(new Tr064Fault("GetX", "714", "NoSuchEntryInArray"))
  })

  it("rejects garbage with a clear error", () => {
    expect(() => parseSoapResponse("not xml at all <<", "GetX")).toThrow(Tr064Error)
    expect(() => parseSoapResponse("<a>1</a>", "GetX")).toThrow(/not a SOAP envelope/)
  })

  it("finds services by full type, short type (TR-064 first) and serviceId", () => {
    const services = [
      {
        serviceType: "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
        serviceId: "urn:upnp-org:serviceId:WANCommonIFC1",
        controlURL: "/igd",
        SCPDURL: "",
        description: "igddesc.xml",
      },
      {
        serviceType: "urn:dslforum-org:service:WANCommonInterfaceConfig:1",
        serviceId: "urn:WANCIfConfig-com:serviceId:WANCommonInterfaceConfig1",
        controlURL: "/tr64",
        SCPDURL: "",
        description: "tr64desc.xml",
      },
    ]
    expect(findService(services, "WANCommonInterfaceConfig:1")?.controlURL).toBe("/tr64")
    expect(findService(services, "WANCommonIFC1")?.controlURL).toBe("/igd")
    expect(findService(services, "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1")?.controlURL).toBe("/igd")
    expect(findService(services, "Nope:1")).toBeUndefined()
  })
})

describe("tr064 client against the fake box", () => {
  let box: FakeFritzbox
  beforeAll(() => {
    box = startFakeFritzbox({ user: "admin", password: "pw-tr064-test" })
  })
  afterAll(() => box.stop())

  it("reads both descriptions, nested devices included", async () => {
    const client = new Tr064Client({ baseUrl: box.url, user: "admin", password: "pw-tr064-test" })
    const description = await client.load()
    expect(description.systemVersion).toBe("154.07.29")
    expect(client.service("WANCommonInterfaceConfig:1")?.controlURL).toBe("/upnp/control/wancommonifconfig1")
    expect(client.service("WANCommonIFC1")?.controlURL).toBe("/igdupnp/control/WANCommonIFC1")
  })

  it("authenticates once and then answers up front with nc counting up", async () => {
    const client = new Tr064Client({ baseUrl: box.url, user: "admin", password: "pw-tr064-test" })
    const before = box.authHeaders.length
    expect((await client.call("WANCommonInterfaceConfig:1", "GetTotalBytesSent")).NewTotalBytesSent).toBe("1000000")
    expect((await client.call("WANCommonInterfaceConfig:1", "GetTotalBytesReceived")).NewTotalBytesReceived).toBe("5000000")
    const ncs = box.authHeaders.slice(before).map((h) => /nc=([0-9a-f]+)/.exec(h)?.[1])
    expect(ncs).toEqual(["00000001", "00000002"])
  })

  it("reports an unknown action as a UPnP fault", async () => {
    const client = new Tr064Client({ baseUrl: box.url, user: "admin", password: "pw-tr064-test" })
    await expect(client.call("WANCommonInterfaceConfig:1", "GetNothing")).rejects.toThrow(
      /GetNothing failed: UPnP error 401 \(Invalid Action\)/,
    )
  })

  it("says authentication failed for a wrong password, without the password", async () => {
    const client = new Tr064Client({ baseUrl: box.url, user: "admin", password: "wrong-password-123" })
    const error = await client.call("WANCommonInterfaceConfig:1", "GetTotalBytesSent").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Tr064AuthError)
    expect((error as Error).message).toMatch(/authentication failed for user "admin"/)
    expect((error as Error).message).not.toContain("wrong-password-123")
  })

  it("asks for a password when the box wants one and none is set", async () => {
    const client = new Tr064Client({ baseUrl: box.url })
    await expect(client.call("WANCommonInterfaceConfig:1", "GetTotalBytesSent")).rejects.toThrow(/requires authentication/)
  })

  it("follows a stale nonce with the new challenge", async () => {
    box.nonceUses = 1
    try {
      const client = new Tr064Client({ baseUrl: box.url, user: "admin", password: "pw-tr064-test" })
      for (let i = 0; i < 3; i++)
        expect((await client.call("WANCommonInterfaceConfig:1", "GetTotalBytesSent")).NewTotalBytesSent).toBe("1000000")
    } finally {
      box.nonceUses = 1000
    }
  })

  // curl's Digest implementation is independent of ours: it proves the fake checks digests right.
  itWithTools(["curl"], "the fake box accepts curl --digest with the right password only (MD5 and SHA-256)", async () => {
    for (const algorithm of ["MD5", "SHA-256"] as const) {
      box.algorithm = algorithm
      for (const [password, expected] of [
        ["pw-tr064-test", "200"],
        ["nope", "401"],
      ] as const) {
        const proc = Bun.spawn(
          [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--digest",
            "-u",
            `admin:${password}`,
            "-H",
            "SoapAction: urn:dslforum-org:service:WANCommonInterfaceConfig:1#GetTotalBytesSent",
            "-H",
            "Content-Type: text/xml",
            "-d",
            soapEnvelope("urn:dslforum-org:service:WANCommonInterfaceConfig:1", "GetTotalBytesSent"),
            `${box.url}/upnp/control/wancommonifconfig1`,
          ],
          { stdout: "pipe" },
        )
        expect(`${algorithm} ${await new Response(proc.stdout).text()}`).toBe(`${algorithm} ${expected}`)
      }
    }
    box.algorithm = "MD5"
  })
})

describe("tr064: parsing, edge by edge", () => {
  const envelope = (body: string, prefix = "s") =>
    `<?xml version="1.0"?><${prefix}:Envelope xmlns:${prefix}="http://schemas.xmlsoap.org/soap/envelope/"><${prefix}:Body>${body}</${prefix}:Body></${prefix}:Envelope>`

  it("errors have their names; a fault without description says only the code", () => {
    expect([new Tr064Error("x").name, new Tr064AuthError("x").name, new Tr064Fault("A", "1", "").name]).toEqual([
      "Tr064Error",
      "Tr064AuthError",
      "Tr064Fault",
    ])
    expect(new Tr064Fault("GetX", "401", "").message).toBe("GetX failed: UPnP error 401")
  })

  it("out-arguments stay text (64-bit counters too); nested ones are empty; no out-arguments is {}", () => {
    const response = envelope(
      `<u:GetXResponse xmlns:u="urn:x"><NewBig>18446744073709551000</NewBig><NewOn>true</NewOn><NewNested><a>1</a></NewNested></u:GetXResponse>`,
    )
    expect(parseSoapResponse(response, "GetX")).toEqual({ NewBig: "18446744073709551000", NewOn: "true", NewNested: "" })
    expect(parseSoapResponse(envelope(`<u:GetXResponse xmlns:u="urn:x"><NewA dt="ui4"> 7 </NewA></u:GetXResponse>`), "GetX")).toEqual({
      NewA: "7",
    })
    expect(parseSoapResponse(envelope(`<u:SetXResponse xmlns:u="urn:x"></u:SetXResponse>`), "SetX")).toEqual({})
    expect(parseSoapResponse(envelope(`<u:SetXResponse xmlns:u="urn:x"/>`), "SetX")).toEqual({})
    expect(() => parseSoapResponse(envelope(`<u:OtherResponse xmlns:u="urn:x"/>`), "GetX")).toThrow(
      new Tr064Error("GetX response has no <GetXResponse> element"),
    )
    expect(() => parseSoapResponse(envelope(`<u:GetXResponse>text</u:GetXResponse>`), "GetX")).toThrow(
      new Tr064Error("GetX response has no <GetXResponse> element"),
    )
    expect(() => parseSoapResponse(envelope("text"), "GetX")).toThrow(new Tr064Error("GetX response is not a SOAP envelope"))
  })

  it("a fault without detail or description: code ?, the faultstring or nothing", () => {
    expect(() => parseSoapResponse(envelope("<s:Fault><faultstring>UPnPError</faultstring></s:Fault>"), "GetX")).toThrow(
      new Tr064Fault("GetX", "?", "UPnPError"),
    )
    expect(() =>
      parseSoapResponse(envelope("<s:Fault><detail><UPnPError><errorCode>7</errorCode></UPnPError></detail></s:Fault>"), "GetX"),
    ).toThrow(new Error("GetX failed: UPnP error 7"))
  })

  it("XML that does not parse names what it was", () => {
    const error = (() => {
      try {
        parseSoapResponse("<a><b></a>", "GetX")
      } catch (e) {
        return (e as Error).message
      }
    })()
    expect(error).toStartWith("GetX response is not valid XML: ")
  })

  it("descriptions: <root><device> needed; services without type or control URL, and text items, are skipped", () => {
    expect(() => parseDescription("<other/>")).toThrow(
      new Tr064Error("tr64desc.xml has no <root><device>: not a TR-064 device description"),
    )
    expect(() => parseDescription("<root><specVersion>1</specVersion></root>", "igddesc.xml")).toThrow(
      new Tr064Error("igddesc.xml has no <root><device>: not a TR-064 device description"),
    )
    const description = parseDescription(
      `<root><device><friendlyName>Box</friendlyName><serviceList>
        <service>text</service>
        <service><serviceType>urn:a:service:NoUrl:1</serviceType></service>
        <service><controlURL>/no-type</controlURL></service>
        <service><serviceType><nested/></serviceType><controlURL>/nested</controlURL></service>
        <service><serviceType>urn:a:service:Bare:1</serviceType><controlURL>/bare</controlURL></service>
        <service><serviceType>urn:a:service:Full:1</serviceType><serviceId>urn:a:serviceId:Full1</serviceId><controlURL>/full</controlURL><SCPDURL>/full.xml</SCPDURL></service>
      </serviceList><deviceList><device>text</device></deviceList></device></root>`,
    )
    expect(description.services).toEqual([
      { serviceType: "urn:a:service:Bare:1", serviceId: "", controlURL: "/bare", SCPDURL: "", description: "tr64desc.xml" },
      {
        serviceType: "urn:a:service:Full:1",
        serviceId: "urn:a:serviceId:Full1",
        controlURL: "/full",
        SCPDURL: "/full.xml",
        description: "tr64desc.xml",
      },
    ])
    expect(description.friendlyName).toBe("Box")
  })

  it("a short type found only in igddesc.xml is found there", () => {
    const igd = {
      serviceType: "urn:schemas-upnp-org:service:Layer3Forwarding:1",
      serviceId: "x",
      controlURL: "/l3",
      SCPDURL: "",
      description: "igddesc.xml",
    }
    expect(findService([igd], "Layer3Forwarding:1")).toBe(igd)
  })

  it("an envelope: the XML declaration first, every special character escaped, false as 0", () => {
    const text = soapEnvelope("urn:x", "SetIt", { NewName: "a>b'c", NewOff: false, NewN: 5 })
    expect(text).toStartWith('<?xml version="1.0" encoding="utf-8"?><s:Envelope')
    expect(text).toContain("<NewName>a&gt;b&apos;c</NewName><NewOff>0</NewOff><NewN>5</NewN>")
  })
})

describe("tr064 client against scripted answers", () => {
  const TR64 = `<root><device><serviceList><service><serviceType>urn:dslforum-org:service:X:1</serviceType><controlURL>/upnp/x</controlURL></service></serviceList></device><systemVersion><Display>1.2.3</Display></systemVersion></root>`
  const OK = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetXResponse xmlns:u="urn:dslforum-org:service:X:1"><NewA>1</NewA></u:GetXResponse></s:Body></s:Envelope>`
  const challenge = (stale = false, scheme = "Digest") =>
    new Response(null, {
      status: 401,
      headers: {
        "www-authenticate": `${scheme} realm="F!Box", nonce="${Math.random().toString(16).slice(2)}", algorithm=MD5, qop="auth"${stale ? ", stale=true" : ""}`,
      },
    })
  type Call = { url: string; init: RequestInit & { tls?: unknown } }
  /** A client whose fetch answers by path; more than 20 calls is a loop (the test fails rather than hangs). */
  function scripted(
    answer: (path: string, call: Call, n: number) => Response | Promise<Response>,
    options: Partial<ConstructorParameters<typeof Tr064Client>[0]> = {},
  ) {
    const calls: Call[] = []
    const client = new Tr064Client({
      baseUrl: "http://box.example:49000//",
      fetch: async (input, init = {}) => {
        const call = { url: String(input), init }
        calls.push(call)
        if (calls.length > 20) throw new Error("looping")
        return answer(new URL(String(input)).pathname, call, calls.length)
      },
      ...options,
    })
    return { client, calls }
  }
  const descriptions = (path: string) =>
    path === "/tr64desc.xml" ? new Response(TR64) : path === "/igddesc.xml" ? new Response("404", { status: 404 }) : undefined

  it("before load: no services, nothing loaded; after: the version, GETs for both descriptions", async () => {
    const { client, calls } = scripted((path) => descriptions(path) ?? new Response(OK))
    expect([client.loaded, client.services, client.systemVersion, client.baseUrl]).toEqual([
      false,
      [],
      undefined,
      "http://box.example:49000",
    ])
    await client.load()
    expect([client.loaded, client.systemVersion, client.services.length]).toEqual([true, "1.2.3", 1])
    expect(calls.map((c) => [c.url, c.init.method])).toEqual([
      ["http://box.example:49000/tr64desc.xml", "GET"],
      ["http://box.example:49000/igddesc.xml", "GET"],
    ])
  })

  it("tr64desc.xml missing or failing; igddesc.xml failing is fine unless it wants a login", async () => {
    const load = (answer: (path: string) => Response) =>
      scripted(answer)
        .client.load()
        .then(
          () => "ok",
          (error: Error) => `${error.name}: ${error.message}`,
        )
    expect(await load(() => new Response("", { status: 404 }))).toBe(
      'Tr064Error: http://box.example:49000/tr64desc.xml not found: is "access for applications" (TR-064) enabled on the box?',
    )
    expect(await load(() => new Response("", { status: 503 }))).toBe("Tr064Error: http://box.example:49000/tr64desc.xml: HTTP 503")
    expect(await load((path) => (path === "/tr64desc.xml" ? new Response(TR64) : new Response("<<garbage", { status: 200 })))).toBe("ok")
    expect(await load((path) => (path === "/tr64desc.xml" ? new Response(TR64) : challenge()))).toBe(
      'Tr064AuthError: http://box.example:49000 requires authentication: set "pass" (and "user") for the box',
    )
    const thrown = scripted((path) => {
      if (path === "/igddesc.xml") throw new TypeError("connection reset")
      return new Response(TR64)
    })
    expect((await thrown.client.load()).services.length).toBe(1)
  })

  it("a call: the SOAP headers, an unknown service, a fault in a 500 whatever its prefix", async () => {
    const { client, calls } = scripted((path) => descriptions(path) ?? new Response(OK))
    expect(await client.call("X:1", "GetX")).toEqual({ NewA: "1" })
    const headers = new Headers(calls.at(-1)!.init.headers)
    expect([headers.get("content-type"), headers.get("soapaction")]).toEqual([
      'text/xml; charset="utf-8"',
      "urn:dslforum-org:service:X:1#GetX",
    ])
    await expect(client.call("Nope:1", "GetX")).rejects.toThrow(new Tr064Error("the box offers no service Nope:1"))
    for (const fault of [
      `<Fault><detail><UPnPError><errorCode>401</errorCode></UPnPError></detail></Fault>`,
      `<soap:Fault><detail><UPnPError><errorCode>401</errorCode></UPnPError></detail></soap:Fault>`,
      `<s:Fault xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><detail><UPnPError><errorCode>401</errorCode></UPnPError></detail></s:Fault>`,
    ]) {
      const body = `<s:Envelope xmlns:s="x"><s:Body>${fault}</s:Body></s:Envelope>`
      const faulty = scripted((path) => descriptions(path) ?? new Response(body, { status: 500 }))
      expect(await faulty.client.call("X:1", "GetX").catch((e: Error) => e.message)).toBe("GetX failed: UPnP error 401")
    }
    const plain = scripted((path) => descriptions(path) ?? new Response("<html>oops</html>", { status: 500 }))
    expect(await plain.client.call("X:1", "GetX").catch((e: Error) => e.message)).toBe(
      "GetX: HTTP 500 from http://box.example:49000/upnp/x",
    )
  })

  it("verifyTls: false accepts a self-signed certificate, otherwise certificates are checked", async () => {
    for (const [verifyTls, tls] of [
      [false, { rejectUnauthorized: false }],
      [true, undefined],
      [undefined, undefined],
    ] as const) {
      const { client, calls } = scripted((path) => descriptions(path) ?? new Response(OK), { verifyTls })
      await client.load()
      expect([verifyTls, calls[0]!.init.tls]).toEqual([verifyTls, tls])
    }
  })

  it("a 401 without a body, a non-Digest challenge, a user switched without a password", async () => {
    const bare = scripted(() => new Response(null, { status: 401 }))
    expect(await bare.client.load().catch((e: Error) => e.message)).toBe(
      'http://box.example:49000 requires authentication: set "pass" (and "user") for the box',
    )
    const basic = scripted(() => challenge(false, "Basic"), { user: "admin", password: "pw" })
    expect(await basic.client.load().catch((e: Error) => e.message)).toBe(
      "http://box.example:49000 refused the request (HTTP 401) without a Digest challenge we can answer",
    )
    const switched = scripted(() => challenge())
    switched.client.setUser("bob")
    expect(switched.client.username).toBe("bob")
    expect(await switched.client.load().catch((e: Error) => e.message)).toContain("requires authentication")
  })

  it("a stale nonce is answered once more, then the credentials are wrong; a missing user is named empty", async () => {
    const { client, calls } = scripted((_path, _call, n) => challenge(n > 1), { password: "pw" })
    expect(await client.load().catch((e: Error) => e.message)).toBe(
      'authentication failed for user "" at http://box.example:49000: wrong user or password',
    )
    expect(calls).toHaveLength(3)
    expect(new Headers(calls[1]!.init.headers).get("authorization")).toContain('username=""')
  })
})

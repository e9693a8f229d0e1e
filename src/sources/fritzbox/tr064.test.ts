import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { findService, parseSoapResponse, soapEnvelope, Tr064AuthError, Tr064Client, Tr064Error, Tr064Fault } from "./tr064.ts"
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

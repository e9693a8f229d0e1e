/**
 * A fake FRITZ!Box speaking TR-064 on loopback (test/helpers/fake-server.ts): device
 * descriptions, SOAP control URLs with HTTP Digest authentication (checked here with its own
 * arithmetic, not the client's), SOAP faults, and knobs for the failure modes a test needs (500,
 * garbage, stale nonces, no IGD). Paths, service types, action and argument names follow AVM's
 * tr64desc.xml/igddesc.xml as recorded in fritzconnection's test data (FRITZ!Box 7590,
 * FRITZ!OS 7.29). `startFakeFritzbox()` returns the server and the box's state in one object:
 * a test changes the counters, the password or the algorithm by assigning to it.
 *
 * @example
 * const box = startFakeFritzbox({ user: "admin", password: "pw" })
 * box.bytesSent += 3_000_000n
 * box.failNext = { mode: "500", count: 1 }
 * await box.stop()
 */
import { createHash, randomBytes } from "node:crypto"
import { XMLParser } from "fast-xml-parser"
import { serveFake, type FakeServer } from "../../../test/helpers/fake-server.ts"

export interface FakeFritzboxOptions {
  user?: string
  password?: string
  /** Digest algorithm of the challenge. */
  algorithm?: "MD5" | "SHA-256"
  /** Serve /igddesc.xml with GetAddonInfos (64-bit counters); false = an older box without it. */
  igd?: boolean
  /** Last logged-in user reported by X_AVM-DE_GetUserList. */
  lastUser?: string
}

const REALM = "F!Box SOAP-Auth"
const TR64_WAN = "urn:dslforum-org:service:WANCommonInterfaceConfig:1"
const TR64_LANSEC = "urn:dslforum-org:service:LANConfigSecurity:1"
const TR64_DEVINFO = "urn:dslforum-org:service:DeviceInfo:1"
const IGD_WAN = "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"

const TR64DESC = `<?xml version="1.0"?>
<root xmlns="urn:dslforum-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<systemVersion><HW>226</HW><Major>154</Major><Minor>7</Minor><Patch>29</Patch><Buildnumber>92051</Buildnumber><Display>154.07.29</Display></systemVersion>
<device>
<deviceType>urn:dslforum-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>FRITZ!Box 7590</friendlyName>
<manufacturer>AVM</manufacturer>
<serviceList>
<service><serviceType>${TR64_DEVINFO}</serviceType><serviceId>urn:DeviceInfo-com:serviceId:DeviceInfo1</serviceId><controlURL>/upnp/control/deviceinfo</controlURL><eventSubURL>/upnp/control/deviceinfo</eventSubURL><SCPDURL>/deviceinfoSCPD.xml</SCPDURL></service>
<service><serviceType>${TR64_LANSEC}</serviceType><serviceId>urn:LANConfigSecurity-com:serviceId:LANConfigSecurity1</serviceId><controlURL>/upnp/control/lanconfigsecurity</controlURL><eventSubURL>/upnp/control/lanconfigsecurity</eventSubURL><SCPDURL>/lanconfigsecuritySCPD.xml</SCPDURL></service>
</serviceList>
<deviceList>
<device>
<deviceType>urn:dslforum-org:device:WANDevice:1</deviceType>
<friendlyName>WANDevice - FRITZ!Box 7590</friendlyName>
<serviceList>
<service><serviceType>${TR64_WAN}</serviceType><serviceId>urn:WANCIfConfig-com:serviceId:WANCommonInterfaceConfig1</serviceId><controlURL>/upnp/control/wancommonifconfig1</controlURL><eventSubURL>/upnp/control/wancommonifconfig1</eventSubURL><SCPDURL>/wancommonifconfigSCPD.xml</SCPDURL></service>
</serviceList>
</device>
</deviceList>
</device>
</root>`

const IGDDESC = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>FRITZ!Box 7590</friendlyName>
<deviceList>
<device>
<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<serviceList>
<service><serviceType>${IGD_WAN}</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><controlURL>/igdupnp/control/WANCommonIFC1</controlURL><eventSubURL>/igdupnp/control/WANCommonIFC1</eventSubURL><SCPDURL>/igdicfgSCPD.xml</SCPDURL></service>
</serviceList>
</device>
</deviceList>
</device>
</root>`

const parser = new XMLParser({ removeNSPrefix: false, ignoreAttributes: false, parseTagValue: false })

function hash(algorithm: string, text: string): string {
  return createHash(algorithm === "SHA-256" ? "sha256" : "md5")
    .update(text)
    .digest("hex")
}

function envelope(inner: string): string {
  return `<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">\n<s:Body>\n${inner}\n</s:Body>\n</s:Envelope>\n`
}

function soapResponse(serviceType: string, action: string, out: Record<string, string>): string {
  const args = Object.entries(out)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join("\n")
  return envelope(`<u:${action}Response xmlns:u="${serviceType}">\n${args}\n</u:${action}Response>`)
}

function soapFault(code: number, description: string): string {
  return envelope(
    `<s:Fault>\n<faultcode>s:Client</faultcode>\n<faultstring>UPnPError</faultstring>\n<detail>\n<UPnPError xmlns="urn:schemas-upnp-org:control-1-0">\n<errorCode>${code}</errorCode>\n<errorDescription>${description}</errorDescription>\n</UPnPError>\n</detail>\n</s:Fault>`,
  )
}

const UNAUTHORIZED_HTML =
  "<HTML><HEAD><TITLE>401 Unauthorized (ERR_NONE)</TITLE></HEAD><BODY><H1>401 Unauthorized</H1>Unauthorized request.</BODY></HTML>"

/** The box's state; every field may be changed while it runs. */
export interface FakeFritzboxState {
  readonly user: string
  password: string
  algorithm: "MD5" | "SHA-256"
  igd: boolean
  lastUser: string
  /** 64-bit totals; the 32-bit actions report them modulo 2^32, as the box does. */
  bytesSent: bigint
  bytesReceived: bigint
  linkStatus: string
  upstreamMaxBitRate: number
  downstreamMaxBitRate: number
  /** Next control requests fail this way (count down per request). */
  failNext: { mode: "500" | "garbage"; count: number } | null
  /** Every nonce is valid for this many requests, then answered `stale=true`. */
  nonceUses: number
  /** Authorization headers received, for assertions. */
  readonly authHeaders: string[]
  /** `serviceType#Action` of every control request that got an answer. */
  readonly actions: string[]
}

export type FakeFritzbox = FakeServer & FakeFritzboxState

export function startFakeFritzbox(options: FakeFritzboxOptions = {}): FakeFritzbox {
  const user = options.user ?? "admin"
  const box: FakeFritzboxState = {
    user,
    password: options.password ?? "secret-box-pass",
    algorithm: options.algorithm ?? "MD5",
    igd: options.igd ?? true,
    lastUser: options.lastUser ?? user,
    bytesSent: 1_000_000n,
    bytesReceived: 5_000_000n,
    linkStatus: "Up",
    upstreamMaxBitRate: 40_000_000,
    downstreamMaxBitRate: 250_000_000,
    failNext: null,
    nonceUses: 1000,
    authHeaders: [],
    actions: [],
  }
  const nonces = new Map<string, { uses: number; lastNc: number }>()

  const challenge = (stale = false): Response => {
    const nonce = randomBytes(8).toString("hex").toUpperCase()
    nonces.set(nonce, { uses: 0, lastNc: 0 })
    const header = `Digest realm="${REALM}", nonce="${nonce}", algorithm=${box.algorithm}, qop="auth"${stale ? ", stale=true" : ""}`
    return new Response(UNAUTHORIZED_HTML, { status: 401, headers: { "www-authenticate": header, "content-type": "text/html" } })
  }

  /** null: authorised; otherwise the 401 to send. */
  const checkDigest = (req: Request, uri: string): Response | null => {
    const header = req.headers.get("authorization")
    if (!header) return challenge()
    box.authHeaders.push(header)
    const m = /^Digest\s+(.*)$/is.exec(header)
    if (!m) return challenge()
    const p: Record<string, string> = {}
    for (const part of m[1]!.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[part[1]!.toLowerCase()] = part[2] ?? part[3] ?? ""
    const state = p.nonce ? nonces.get(p.nonce) : undefined
    if (!state) return challenge()
    if ((p.algorithm ?? "MD5").toUpperCase() !== box.algorithm || p.realm !== REALM || p.uri !== uri || p.qop !== "auth") return challenge()
    const nc = Number.parseInt(p.nc ?? "", 16)
    if (!Number.isFinite(nc) || nc <= state.lastNc || !p.cnonce) return challenge() // replayed or missing nc
    const ha1 = hash(box.algorithm, `${p.username}:${REALM}:${box.password}`)
    const ha2 = hash(box.algorithm, `${req.method}:${uri}`)
    const expected = hash(box.algorithm, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`)
    if (p.username !== box.user || p.response !== expected) return challenge()
    state.lastNc = nc
    if (++state.uses > box.nonceUses) {
      nonces.delete(p.nonce!)
      return challenge(true)
    }
    return null
  }

  const handle = (req: Request, url: URL, body: string): Response => {
    if (req.method === "GET" && url.pathname === "/tr64desc.xml") return new Response(TR64DESC, { headers: { "content-type": "text/xml" } })
    if (req.method === "GET" && url.pathname === "/igddesc.xml") {
      return box.igd ? new Response(IGDDESC, { headers: { "content-type": "text/xml" } }) : new Response("404 Not Found", { status: 404 })
    }
    if (req.method !== "POST") return new Response("404 Not Found", { status: 404 })
    const services: Record<string, string> = {
      "/upnp/control/wancommonifconfig1": TR64_WAN,
      "/upnp/control/lanconfigsecurity": TR64_LANSEC,
      "/upnp/control/deviceinfo": TR64_DEVINFO,
      ...(box.igd ? { "/igdupnp/control/WANCommonIFC1": IGD_WAN } : {}),
    }
    const serviceType = services[url.pathname]
    if (!serviceType) return new Response("404 Not Found", { status: 404 })
    const soapAction = req.headers.get("soapaction") ?? ""
    const [headerType, action = ""] = soapAction.replace(/"/g, "").split("#")
    // The UPnP IGD service and the user list answer without login, as on the box.
    const open = serviceType === IGD_WAN || (serviceType === TR64_LANSEC && action === "X_AVM-DE_GetUserList")
    if (!open) {
      const refused = checkDigest(req, url.pathname + url.search)
      if (refused) return refused
    }
    if (box.failNext && box.failNext.count > 0) {
      box.failNext.count--
      const mode = box.failNext.mode
      if (box.failNext.count === 0) box.failNext = null
      if (mode === "500") return new Response("<HTML><BODY>500 Internal Server Error</BODY></HTML>", { status: 500 })
      return new Response("\u0000\u0001 this is not xml <<<", { status: 200, headers: { "content-type": "text/xml" } })
    }
    if (headerType !== serviceType)
      return new Response(soapFault(401, "Invalid Action"), { status: 500, headers: { "content-type": "text/xml" } })
    // The envelope must carry <u:Action xmlns:u="serviceType"> inside s:Envelope/s:Body.
    let parsed: Record<string, any>
    try {
      parsed = parser.parse(body)
    } catch {
      return new Response(soapFault(402, "Invalid Args"), { status: 500 })
    }
    const bodyNode = parsed["s:Envelope"]?.["s:Body"]
    const actionNode = bodyNode?.[`u:${action}`]
    if (actionNode === undefined || (typeof actionNode === "object" && actionNode["@_xmlns:u"] !== serviceType)) {
      return new Response(soapFault(401, "Invalid Action"), { status: 500, headers: { "content-type": "text/xml" } })
    }
    box.actions.push(`${serviceType}#${action}`)
    const out = answer(box, serviceType, action)
    if (!out) return new Response(soapFault(401, "Invalid Action"), { status: 500, headers: { "content-type": "text/xml" } })
    return new Response(soapResponse(serviceType, action, out), { headers: { "content-type": 'text/xml; charset="utf-8"' } })
  }

  // The state object itself gets the server's fields, so tests assign to the one `box`.
  return Object.assign(box, serveFake(handle))
}

function answer(box: FakeFritzboxState, serviceType: string, action: string): Record<string, string> | null {
  const sent32 = String(box.bytesSent % 2n ** 32n)
  const recv32 = String(box.bytesReceived % 2n ** 32n)
  const link = {
    NewWANAccessType: "DSL",
    NewLayer1UpstreamMaxBitRate: String(box.upstreamMaxBitRate),
    NewLayer1DownstreamMaxBitRate: String(box.downstreamMaxBitRate),
    NewPhysicalLinkStatus: box.linkStatus,
  }
  if (serviceType === TR64_WAN) {
    if (action === "GetTotalBytesSent") return { NewTotalBytesSent: sent32 }
    if (action === "GetTotalBytesReceived") return { NewTotalBytesReceived: recv32 }
    if (action === "GetCommonLinkProperties") return link
  }
  if (serviceType === IGD_WAN) {
    if (action === "GetCommonLinkProperties") return link
    if (action === "GetAddonInfos") {
      return {
        NewByteSendRate: "1200",
        NewByteReceiveRate: "34000",
        NewPacketSendRate: "12",
        NewPacketReceiveRate: "30",
        NewTotalBytesSent: sent32,
        NewTotalBytesReceived: recv32,
        NewAutoDisconnectTime: "0",
        NewIdleDisconnectTime: "0",
        NewDNSServer1: "192.0.2.53",
        NewDNSServer2: "192.0.2.54",
        NewVoipDNSServer1: "192.0.2.53",
        NewVoipDNSServer2: "192.0.2.54",
        NewUpnpControlEnabled: "0",
        NewRoutedBridgedModeBoth: "1",
        NewX_AVM_DE_TotalBytesSent64: String(box.bytesSent),
        NewX_AVM_DE_TotalBytesReceived64: String(box.bytesReceived),
        NewX_AVM_DE_WANAccessType: "DSL",
      }
    }
  }
  if (serviceType === TR64_LANSEC && action === "X_AVM-DE_GetUserList") {
    const list = `<List><Username last_user="0">fritz1234</Username><Username last_user="1">${box.lastUser}</Username></List>`
    return { "NewX_AVM-DE_UserList": list.replace(/</g, "&lt;").replace(/>/g, "&gt;") }
  }
  if (serviceType === TR64_DEVINFO && action === "GetInfo") return { NewModelName: "FRITZ!Box 7590", NewSoftwareVersion: "154.07.29" }
  return null
}

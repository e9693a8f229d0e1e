/**
 * A small TR-064 client (the SOAP API of AVM FRITZ!Box routers; no npm package does this well):
 * reads the device descriptions (`/tr64desc.xml`, and the UPnP IGD one `/igddesc.xml` when the
 * box offers it), finds a service's control URL, and calls actions as SOAP over HTTP with
 * Digest authentication. Parsing is pure (text in, data out); I/O goes through an injected fetch.
 */
import { XMLParser } from "fast-xml-parser"
import { DigestSession } from "../../lib/protocols/http-digest.ts"

export interface Tr064Service {
  serviceType: string
  serviceId: string
  controlURL: string
  SCPDURL: string
  /** Which description listed it. */
  description: string
}

export interface Tr064Description {
  services: Tr064Service[]
  friendlyName?: string
  /** `systemVersion/Display` of tr64desc.xml, e.g. `154.07.29`. */
  systemVersion?: string
}

export class Tr064Error extends Error {
  override name = "Tr064Error"
}

/** The box refused the credentials (or wants some and none were configured). */
export class Tr064AuthError extends Tr064Error {
  override name = "Tr064AuthError"
}

/** A SOAP fault: the action ran and the box said no (UPnPError code and text). */
export class Tr064Fault extends Tr064Error {
  override name = "Tr064Fault"
  constructor(
    readonly action: string,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${action} failed: UPnP error ${code}${description ? ` (${description})` : ""}`)
  }
}

export const TR064_DESCRIPTION = "tr64desc.xml"
export const IGD_DESCRIPTION = "igddesc.xml"
export const TR064_DEFAULT_PORT = 49000
export const TR064_TLS_PORT = 49443

const xml = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === "service" || name === "device",
})

type Node = Record<string, unknown>

function asNode(value: unknown): Node | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Node) : undefined
}

function asText(value: unknown): string | undefined {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  return undefined
}

function parseXml(text: string, what: string): Node {
  let parsed: unknown
  try {
    parsed = xml.parse(text, true)
  } catch (error) {
    throw new Tr064Error(`${what} is not valid XML: ${(error as Error).message}`)
  }
  const node = asNode(parsed)
  if (!node) throw new Tr064Error(`${what} is not valid XML`)
  return node
}

/** Services of a UPnP/TR-064 device description, from every nested device. */
export function parseDescription(text: string, description = TR064_DESCRIPTION): Tr064Description {
  const root = asNode(parseXml(text, description).root)
  const top = root ? (root.device as unknown[] | undefined)?.[0] : undefined
  if (!root || !asNode(top)) throw new Tr064Error(`${description} has no <root><device>: not a TR-064 device description`)
  const services: Tr064Service[] = []
  const walk = (device: Node) => {
    for (const item of (asNode(device.serviceList)?.service as unknown[] | undefined) ?? []) {
      const s = asNode(item)
      const serviceType = asText(s?.serviceType)
      const controlURL = asText(s?.controlURL)
      if (!s || !serviceType || !controlURL) continue
      services.push({ serviceType, serviceId: asText(s.serviceId) ?? "", controlURL, SCPDURL: asText(s.SCPDURL) ?? "", description })
    }
    for (const child of (asNode(device.deviceList)?.device as unknown[] | undefined) ?? []) {
      const node = asNode(child)
      if (node) walk(node)
    }
  }
  const device = asNode(top)!
  walk(device)
  return {
    services,
    friendlyName: asText(device.friendlyName),
    systemVersion: asText(asNode(root.systemVersion)?.Display),
  }
}

/**
 * Finds a service by its full type (`urn:dslforum-org:service:WANCommonInterfaceConfig:1`), its
 * short type (`WANCommonInterfaceConfig:1`; TR-064 services win over IGD ones), or the end of
 * its serviceId as fritzconnection names them (`WANCommonIFC1`, `WANCommonInterfaceConfig1`).
 */
export function findService(services: Tr064Service[], name: string): Tr064Service | undefined {
  return (
    services.find((s) => s.serviceType === name) ??
    services.find((s) => s.serviceType.endsWith(`:service:${name}`) && s.description === TR064_DESCRIPTION) ??
    services.find((s) => s.serviceType.endsWith(`:service:${name}`)) ??
    services.find((s) => s.serviceId.endsWith(`:${name}`))
  )
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!)
}

/** The SOAP 1.1 request envelope of `action` on `serviceType`. */
export function soapEnvelope(serviceType: string, action: string, args: Record<string, string | number | boolean> = {}): string {
  const body = Object.entries(args)
    .map(([name, value]) => `<${name}>${escapeXml(typeof value === "boolean" ? (value ? "1" : "0") : String(value))}</${name}>`)
    .join("")
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">` +
    `<s:Body><u:${action} xmlns:u="${escapeXml(serviceType)}">${body}</u:${action}></s:Body></s:Envelope>`
  )
}

/** Out-arguments of a SOAP response (all as text), or a Tr064Fault for a SOAP fault. */
export function parseSoapResponse(text: string, action: string): Record<string, string> {
  const envelope = asNode(parseXml(text, `${action} response`).Envelope)
  const body = asNode(envelope?.Body)
  if (!body) throw new Tr064Error(`${action} response is not a SOAP envelope`)
  const fault = asNode(body.Fault)
  if (fault) {
    const upnp = asNode(asNode(fault.detail)?.UPnPError)
    throw new Tr064Fault(action, asText(upnp?.errorCode) ?? "?", asText(upnp?.errorDescription) ?? asText(fault.faultstring) ?? "")
  }
  const response = body[`${action}Response`]
  const node = asNode(response)
  if (!node) {
    if (response === "") return {} // an action without out-arguments
    throw new Tr064Error(`${action} response has no <${action}Response> element`)
  }
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(node)) out[key] = asText(value) ?? ""
  return out
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface Tr064ClientOptions {
  /** `http://192.168.178.1:49000` (or https on 49443); paths of the descriptions resolve against it. */
  baseUrl: string
  user?: string
  password?: string
  fetch?: FetchLike
  /** false accepts the box's self-signed certificate (https). */
  verifyTls?: boolean
}

export class Tr064Client {
  readonly baseUrl: string
  private readonly fetchImpl: FetchLike
  private digest?: DigestSession
  private user?: string
  private description?: Tr064Description

  constructor(private readonly options: Tr064ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "")
    this.fetchImpl = options.fetch ?? fetch
    this.user = options.user
    if (options.password) this.digest = new DigestSession(options.user ?? "", options.password)
  }

  get username(): string | undefined {
    return this.user
  }

  /** Switches the user (e.g. to the box's last logged-in user); the password stays. */
  setUser(user: string): void {
    this.user = user
    if (this.options.password) this.digest = new DigestSession(user, this.options.password)
  }

  get loaded(): boolean {
    return this.description !== undefined
  }

  get services(): Tr064Service[] {
    return this.description?.services ?? []
  }

  get systemVersion(): string | undefined {
    return this.description?.systemVersion
  }

  /** Reads tr64desc.xml (required: without it TR-064 is off) and igddesc.xml (optional). */
  async load(): Promise<Tr064Description> {
    const main = await this.request("GET", `/${TR064_DESCRIPTION}`)
    if (main.status === 404) {
      throw new Tr064Error(`${this.baseUrl}/${TR064_DESCRIPTION} not found: is "access for applications" (TR-064) enabled on the box?`)
    }
    if (!main.ok) throw new Tr064Error(`${this.baseUrl}/${TR064_DESCRIPTION}: HTTP ${main.status}`)
    const description = parseDescription(await main.text(), TR064_DESCRIPTION)
    try {
      const igd = await this.request("GET", `/${IGD_DESCRIPTION}`)
      if (igd.ok) description.services.push(...parseDescription(await igd.text(), IGD_DESCRIPTION).services)
      else await igd.body?.cancel()
    } catch (error) {
      if (error instanceof Tr064AuthError) throw error
      // No IGD description (UPnP status disabled): the TR-064 services are enough.
    }
    this.description = description
    return description
  }

  service(name: string): Tr064Service | undefined {
    return findService(this.services, name)
  }

  /** Calls `action` on the service named `serviceName` (see findService) and returns its out-arguments. */
  async call(serviceName: string, action: string, args: Record<string, string | number | boolean> = {}): Promise<Record<string, string>> {
    if (!this.description) await this.load()
    const service = this.service(serviceName)
    if (!service) throw new Tr064Error(`the box offers no service ${serviceName}`)
    const response = await this.request("POST", service.controlURL, soapEnvelope(service.serviceType, action, args), {
      "content-type": 'text/xml; charset="utf-8"',
      soapaction: `${service.serviceType}#${action}`,
    })
    const text = await response.text()
    // Faults come as HTTP 500 with a SOAP body; anything else non-2xx without one is an HTTP error.
    if (!response.ok && !/<(\w+:)?Fault[\s>]/.test(text)) {
      throw new Tr064Error(`${action}: HTTP ${response.status} from ${this.baseUrl}${service.controlURL}`)
    }
    return parseSoapResponse(text, action)
  }

  /**
   * One HTTP exchange with Digest authentication: the last challenge is answered up front;
   * a 401 brings a fresh challenge that is answered once more (twice if the nonce was stale).
   * A 401 to a fresh challenge means wrong credentials.
   */
  private async request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL(path, this.baseUrl + "/")
    const uri = url.pathname + url.search
    let fresh = false
    let staleRetries = 0
    for (;;) {
      const authorization = this.digest?.authorization(method, uri)
      const init: RequestInit & { tls?: { rejectUnauthorized: boolean } } = {
        method,
        body,
        headers: authorization ? { ...headers, authorization } : headers,
        redirect: "manual",
      }
      if (this.options.verifyTls === false) init.tls = { rejectUnauthorized: false }
      const response = await this.fetchImpl(url, init)
      if (response.status !== 401) return response
      await response.body?.cancel()
      if (!this.digest) {
        throw new Tr064AuthError(`${this.baseUrl} requires authentication: set "pass" (and "user") for the box`)
      }
      const wasFresh = fresh
      if (!this.digest.accept(response.headers.get("www-authenticate"))) {
        throw new Tr064AuthError(`${this.baseUrl} refused the request (HTTP 401) without a Digest challenge we can answer`)
      }
      if (wasFresh && !(this.digest.stale && staleRetries++ < 1)) {
        this.digest.forget()
        throw new Tr064AuthError(`authentication failed for user "${this.user ?? ""}" at ${this.baseUrl}: wrong user or password`)
      }
      fresh = true
    }
  }
}

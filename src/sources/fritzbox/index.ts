/**
 * `Fritzbox` (also `Fritz`, the original's name): WAN traffic and link state of an AVM FRITZ!Box
 * over TR-064. Byte counters come from the IGD service's GetAddonInfos (64-bit
 * `X_AVM_DE_TotalBytes*64`) where the box offers it, else from TR-064 GetTotalBytesSent/Received
 * (32-bit, they wrap at 4 GiB); both become per-second rates through ctx.rate as the original did.
 */
import { Source, ValueSet, type CommonSourceOptions, type SourceContext } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { Tr064AuthError, Tr064Client, Tr064Fault, TR064_DEFAULT_PORT, TR064_TLS_PORT } from "./tr064.ts"
import { options, type FritzboxOptions } from "./options.ts"

/** The name fritzconnection falls back to on boxes that do not report a last user (FRITZ!OS < 7.24). */
const LEGACY_USER = "dslf-config"
const WAN_TR64 = "WANCommonInterfaceConfig:1"
const WAN_LEGACY = "WANCommonIFC1"
const WAN_IGD = "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"

export interface FritzCounters {
  received: bigint
  sent: bigint
  bits: 32 | 64
}

export interface FritzLink {
  up: boolean
  upstreamMaxBitRate: number
  downstreamMaxBitRate: number
}

export function baseUrlOf(config: FritzboxOptions): string {
  if (config.url) return config.url
  const host = config.ip ?? config.host
  if (!host) throw new Error('Fritzbox needs "ip" (or "host", or "url")')
  const port = config.port ?? (config.tls ? TR064_TLS_PORT : TR064_DEFAULT_PORT)
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
  return `${config.tls ? "https" : "http"}://${bracketed}:${port}`
}

/** A non-negative integer counter from a SOAP out-argument. */
export function parseCounter(value: string | undefined, what: string): bigint {
  if (value === undefined || !/^\d+$/.test(value.trim())) throw new Error(`${what} is not a counter: ${JSON.stringify(value ?? null)}`)
  return BigInt(value.trim())
}

/** Counters from GetAddonInfos when it has the 64-bit fields, else undefined. */
export function countersFromAddonInfos(out: Record<string, string>): FritzCounters | undefined {
  const sent = out.NewX_AVM_DE_TotalBytesSent64
  const received = out.NewX_AVM_DE_TotalBytesReceived64
  if (sent === undefined || received === undefined || sent === "" || received === "") return undefined
  return {
    sent: parseCounter(sent, "NewX_AVM_DE_TotalBytesSent64"),
    received: parseCounter(received, "NewX_AVM_DE_TotalBytesReceived64"),
    bits: 64,
  }
}

export function linkFromProperties(out: Record<string, string>): FritzLink {
  const number = (key: string) => {
    const n = Number(out[key])
    if (out[key] === undefined || !Number.isFinite(n))
      throw new Error(`GetCommonLinkProperties: ${key} is not a number: ${JSON.stringify(out[key] ?? null)}`)
    return n
  }
  return {
    up: out.NewPhysicalLinkStatus === "Up",
    upstreamMaxBitRate: number("NewLayer1UpstreamMaxBitRate"),
    downstreamMaxBitRate: number("NewLayer1DownstreamMaxBitRate"),
  }
}

/** The user flagged `last_user="1"` in X_AVM-DE_GetUserList's XML list. */
export function lastUserFromList(listXml: string): string | undefined {
  const match = /<Username\b[^>]*\blast_user="1"[^>]*>([^<]*)<\/Username>/.exec(listXml)
  return match?.[1]?.trim() || undefined
}

export class FritzboxSource extends Source<FritzboxOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10

  private client?: Tr064Client

  constructor(config: FritzboxOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    if (config.pass) ctx.registerSecret(config.pass)
  }

  override async probe(): Promise<ValueSet[]> {
    try {
      return await this.collect(await this.connect())
    } catch (error) {
      // Start over next probe: re-read the descriptions, get a fresh challenge.
      this.client = undefined
      throw error
    }
  }

  private async connect(): Promise<Tr064Client> {
    if (this.client) return this.client
    const client = new Tr064Client({
      baseUrl: baseUrlOf(this.config),
      user: this.config.user ?? LEGACY_USER,
      password: this.config.pass,
      fetch: this.ctx.fetch,
      verifyTls: this.config.verifyTls,
    })
    await client.load()
    if (this.config.user === undefined && this.config.pass) client.setUser(await this.lastUser(client))
    this.client = client
    return client
  }

  /** What fritzconnection does without a user: ask the box who logged in last (FRITZ!OS >= 7.24). */
  private async lastUser(client: Tr064Client): Promise<string> {
    if (!client.service("LANConfigSecurity:1")) return LEGACY_USER
    try {
      const out = await client.call("LANConfigSecurity:1", "X_AVM-DE_GetUserList")
      return lastUserFromList(out["NewX_AVM-DE_UserList"] ?? "") ?? LEGACY_USER
    } catch (error) {
      if (error instanceof Tr064AuthError) throw error
      return LEGACY_USER
    }
  }

  private async counters(client: Tr064Client): Promise<FritzCounters> {
    if (client.service(WAN_IGD)) {
      try {
        const counters = countersFromAddonInfos(await client.call(WAN_IGD, "GetAddonInfos"))
        if (counters) return counters
      } catch (error) {
        if (!(error instanceof Tr064Fault)) throw error
      }
    }
    const wan = this.wanService(client)
    const received = await client.call(wan, "GetTotalBytesReceived")
    const sent = await client.call(wan, "GetTotalBytesSent")
    return {
      received: parseCounter(received.NewTotalBytesReceived, "NewTotalBytesReceived"),
      sent: parseCounter(sent.NewTotalBytesSent, "NewTotalBytesSent"),
      bits: 32,
    }
  }

  private wanService(client: Tr064Client): string {
    // Older boxes only list the IGD flavour (the original's "WANCommonIFC1" fallback).
    if (client.service(WAN_TR64)) return WAN_TR64
    if (client.service(WAN_LEGACY)) return WAN_LEGACY
    throw new Error(`${client.baseUrl} offers no WANCommonInterfaceConfig service`)
  }

  private async collect(client: Tr064Client): Promise<ValueSet[]> {
    const counters = await this.counters(client)
    const link = linkFromProperties(await client.call(this.wanService(client), "GetCommonLinkProperties"))
    return fritzValueSets(counters, link, {
      received: this.ctx.rate.rate("recv_bytes", counters.received, { bits: counters.bits }),
      sent: this.ctx.rate.rate("sent_bytes", counters.sent, { bits: counters.bits }),
    })
  }
}

/** Names as in the original: recv_bytes/sent_bytes (totals), recv_bytes_sec/sent_bytes_sec (rates). */
export function fritzValueSets(counters: FritzCounters, link: FritzLink, rates: { received?: number; sent?: number }): ValueSet[] {
  const totals = new ValueSet(metrics.totals).add(Number(counters.received), [], "recv_bytes").add(Number(counters.sent), [], "sent_bytes")
  const perSecond = new ValueSet(metrics.rates)
  if (rates.received !== undefined) perSecond.add(rates.received, [], "recv_bytes_sec")
  if (rates.sent !== undefined) perSecond.add(rates.sent, [], "sent_bytes_sec")
  const maxRates = new ValueSet(metrics.maxRates)
    .add(link.upstreamMaxBitRate, [], "upstream_max")
    .add(link.downstreamMaxBitRate, [], "downstream_max")
  const state = new ValueSet(metrics.linkUp).add(link.up, [], "link_up")
  return [totals, perSecond, maxRates, state].filter((set) => set.values.length > 0)
}

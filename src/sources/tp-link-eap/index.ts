/**
 * `TpLinkEap`: clients and per-radio traffic of a TP-Link EAP access point, through the JSON
 * calls of its web admin UI (`/data/monitor.ap.*.json`), logged in as the UI logs in. The
 * session is kept and reused; see session.ts.
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type CommonSourceOptions, Source, type SourceContext, ValueSet } from "../../api.ts"
import { saveState } from "../../lib/util/state-file.ts"
import { firstAccessPoint, radioCounters } from "./answers.ts"
import { metrics } from "./metrics.ts"
import { options, type TpLinkEapOptions as Options } from "./options.ts"
import { EapSession, passwordHash } from "./session.ts"

/** The radios 1.2 reads, by the label it gives them and the device's interface name. */
const RADIOS = [
  { wifi: "2ghz", name: "WIFI0" },
  { wifi: "5ghz", name: "WIFI1" },
] as const

interface SavedSession {
  url: string
  user: string
  sid: string
}

export class TpLinkEapSource extends Source<Options> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 15

  private readonly url: string
  private readonly stateFile: string
  private session?: EapSession

  constructor(config: Options & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    ctx.registerSecret(config.password)
    ctx.registerSecret(passwordHash(config.password))
    this.url = config.url.replace(/\/+$/, "")
    const key = createHash("sha256").update(`${this.url}\n${config.user}`).digest("hex").slice(0, 12)
    this.stateFile = join(ctx.stateDir, `tp-link-eap-${key}.json`)
  }

  /** Logins performed so far (0 when a kept session served every probe). */
  get logins(): number {
    return this.session?.logins ?? 0
  }

  override async probe(): Promise<ValueSet[]> {
    const session = (this.session ??= new EapSession({
      url: this.url,
      user: this.config.user,
      password: this.config.password,
      fetch: (input, init) => this.ctx.fetch(input, init),
      savedSid: this.savedSid(),
      saveSid: (sid) => this.saveSid(sid),
    }))
    session.beginProbe()
    const apList = "/data/monitor.ap.aplist.json?operation=load"
    const ap = firstAccessPoint(await session.getJson(apList, "access point list"), "access point list")
    const clients = new ValueSet(metrics.clients)
    clients.add(ap.clients, [], "total_clients")
    const packets = new ValueSet(metrics.packets)
    const bytes = new ValueSet(metrics.bytes)
    const errors = new ValueSet(metrics.errors)
    for (const radio of RADIOS) {
      const path = `/data/monitor.ap.interface.json?operation=read&interface=${radio.name}&apMac=${encodeURIComponent(ap.mac)}`
      const what = `interface ${radio.name}`
      const c = radioCounters(await session.getJson(path, what), what)
      packets.add(c.rx_packets, [radio.wifi, "rx"], "packets")
      packets.add(c.tx_packets, [radio.wifi, "tx"], "packets")
      bytes.add(c.rx_bytes, [radio.wifi, "rx"], "bytes")
      bytes.add(c.tx_bytes, [radio.wifi, "tx"], "bytes")
      errors.add(c.rx_errors, [radio.wifi, "rx"], "errors")
      errors.add(c.tx_errors, [radio.wifi, "tx"], "errors")
    }
    return [clients, packets, bytes, errors]
  }

  /** The session cookie a previous run kept for this url and user, so a restart does not log in again. */
  private savedSid(): string | undefined {
    try {
      const saved = JSON.parse(readFileSync(this.stateFile, "utf8")) as Partial<SavedSession>
      if (saved.url === this.url && saved.user === this.config.user && typeof saved.sid === "string" && saved.sid) {
        this.ctx.registerSecret(saved.sid)
        return saved.sid
      }
    } catch {
      // none kept (or unreadable): log in on the first probe
    }
    return undefined
  }

  private saveSid(sid: string): void {
    this.ctx.registerSecret(sid)
    const saved: SavedSession = { url: this.url, user: this.config.user, sid }
    saveState(this.stateFile, JSON.stringify(saved), (message) => this.ctx.log.warn(message))
  }
}

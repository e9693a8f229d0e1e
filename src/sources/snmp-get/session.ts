/**
 * One SNMP v1/v2c/v3 session over the `net-snmp` library (no snmpget binary needed), with GETs
 * as promises that give up when the probe's deadline aborts. Errors never carry the community
 * or the v3 keys.
 */
import snmp, { type Session, type Varbind } from "net-snmp"
import type { SnmpReading } from "./value.ts"
import { readingFromVarbind } from "./varbind.ts"

export type SnmpVersion = "1" | "2c" | "3"
export type AuthProtocol = "MD5" | "SHA" | "SHA-224" | "SHA-256" | "SHA-384" | "SHA-512"
export type PrivProtocol = "DES" | "AES"
export type SecurityLevel = "noAuthNoPriv" | "authNoPriv" | "authPriv"

export interface SnmpTarget {
  host: string
  port: number
  version: SnmpVersion
  community: string
  /** v3 only */
  user?: string
  securityLevel?: SecurityLevel
  authProtocol?: AuthProtocol
  authKey?: string
  privProtocol?: PrivProtocol
  privKey?: string
  retries: number
  /** Per try, milliseconds. */
  timeoutMs: number
}

/** The v3 security level: as configured, else the strongest the given keys allow. */
export function securityLevelOf(t: Pick<SnmpTarget, "securityLevel" | "authKey" | "privKey">): SecurityLevel {
  return t.securityLevel ?? (t.privKey ? "authPriv" : t.authKey ? "authNoPriv" : "noAuthNoPriv")
}

/** Agents reject (tooBig) or truncate very large PDUs; 60 OIDs fit a 1500-byte datagram comfortably. */
const MAX_OIDS_PER_GET = 60

const AUTH: Record<AuthProtocol, string> = {
  MD5: snmp.AuthProtocols.md5,
  SHA: snmp.AuthProtocols.sha,
  "SHA-224": snmp.AuthProtocols.sha224,
  "SHA-256": snmp.AuthProtocols.sha256,
  "SHA-384": snmp.AuthProtocols.sha384,
  "SHA-512": snmp.AuthProtocols.sha512,
}
const PRIV: Record<PrivProtocol, string> = { DES: snmp.PrivProtocols.des, AES: snmp.PrivProtocols.aes }

export class SnmpSession {
  private session?: Session

  constructor(private readonly target: SnmpTarget) {}

  /** Reads `oids` (plain numeric); one reading per OID, in order. Rejects when the agent does not answer. */
  async get(oids: string[], signal: AbortSignal): Promise<SnmpReading[]> {
    const readings: SnmpReading[] = []
    for (let i = 0; i < oids.length; i += MAX_OIDS_PER_GET) {
      const varbinds = await this.getChunk(oids.slice(i, i + MAX_OIDS_PER_GET), signal)
      readings.push(...varbinds.map(readingFromVarbind))
    }
    return readings
  }

  close(): void {
    const session = this.session
    this.session = undefined
    try {
      session?.close()
    } catch {
      // already closed
    }
  }

  private open(): Session {
    if (this.session) return this.session
    const t = this.target
    const options = { port: t.port, retries: t.retries, timeout: t.timeoutMs, transport: t.host.includes(":") ? "udp6" : "udp4" } as const
    let session: Session
    if (t.version === "3") {
      const level = securityLevelOf(t)
      session = snmp.createV3Session(
        t.host,
        {
          name: t.user ?? "",
          level: snmp.SecurityLevel[level],
          authProtocol: level === "noAuthNoPriv" ? undefined : AUTH[t.authProtocol ?? "SHA"],
          authKey: level === "noAuthNoPriv" ? undefined : t.authKey,
          privProtocol: level === "authPriv" ? PRIV[t.privProtocol ?? "AES"] : undefined,
          privKey: level === "authPriv" ? t.privKey : undefined,
        },
        { ...options, version: snmp.Version3 },
      )
    } else {
      session = snmp.createSession(t.host, t.community, { ...options, version: t.version === "1" ? snmp.Version1 : snmp.Version2c })
    }
    // A socket error closes the session; the next probe opens a new one.
    session.on("error", () => this.close())
    session.on("close", () => {
      if (this.session === session) this.session = undefined
    })
    this.session = session
    return session
  }

  private getChunk(oids: string[], signal: AbortSignal): Promise<Varbind[]> {
    const { host, port, retries, timeoutMs } = this.target
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error(`SNMP GET to ${host}:${port} aborted at the probe deadline`))
      const onAbort = () => reject(new Error(`no SNMP response from ${host}:${port} before the probe deadline`))
      signal.addEventListener("abort", onAbort, { once: true })
      try {
        this.open().get(oids, (error, varbinds) => {
          signal.removeEventListener("abort", onAbort)
          if (error) reject(new Error(describeError(error, host, port, retries, timeoutMs)))
          else resolve(varbinds ?? [])
        })
      } catch (error) {
        signal.removeEventListener("abort", onAbort)
        reject(new Error(`SNMP GET to ${host}:${port} failed: ${(error as Error).message}`))
      }
    })
  }
}

function describeError(error: Error, host: string, port: number, retries: number, timeoutMs: number): string {
  if (error instanceof snmp.RequestTimedOutError) {
    return `no SNMP response from ${host}:${port} (${retries + 1} ${retries ? "tries" : "try"} of ${timeoutMs} ms; wrong host, port, community or v3 credentials?)`
  }
  if (error instanceof snmp.RequestFailedError) {
    // v1 fails the whole request for one missing OID: `NoSuchName: 1.3.6.1...`
    const [status, oid] = error.message.split(": ")
    const what = status === "NoSuchName" ? "noSuchName (the agent has no value at this OID)" : status
    return oid ? `${what}: ${oid}` : `the agent answered ${what}`
  }
  return `SNMP GET to ${host}:${port} failed: ${error.message}`
}

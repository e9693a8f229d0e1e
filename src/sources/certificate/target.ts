/** Where to probe: `url` (pollect 1.2's key: `https://host[:port]`) or `host`/`port`. */
import { isIpLiteral } from "../../lib/options/ip-address.ts"

export interface Target {
  host: string
  port: number
  /** The SNI name: the host name; none for an IP address (RFC 6066 allows names only). */
  servername?: string
  /** The `url` label of a listed target: the URL as written. */
  label: string
}

/** Default ports by scheme, as 1.2 took them (`https` 443, `http` 80) and the usual TLS ports. */
const DEFAULT_PORTS: Record<string, number> = { https: 443, http: 80, ldaps: 636, imaps: 993, pop3s: 995, smtps: 465, ftps: 990 }

/** The target of a URL; an error names what is missing (a port for an unknown scheme). */
export function urlTarget(url: string): Target {
  const parsed = new URL(url)
  const scheme = parsed.protocol.replace(/:$/, "")
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[scheme]
  if (port === undefined) throw new Error(`${url}: no port, and no default port for ${scheme}:`)
  return hostTarget(parsed.hostname.replace(/^\[|\]$/g, ""), port, url)
}

export function hostTarget(host: string, port: number, label = `${host}:${port}`): Target {
  // An IP address is no server name (SNI).
  return { host, port, servername: isIpLiteral(host) ? undefined : host, label }
}

/** A URL the schema accepts: parses, has a host, and a port or a scheme with a default one. */
export function urlProblem(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    if (!parsed.hostname) return "expected a URL with a host"
    urlTarget(url)
    return undefined
  } catch (error) {
    return (error as Error).message.startsWith(url)
      ? (error as Error).message.slice(url.length + 2)
      : "expected a URL (https://host[:port])"
  }
}

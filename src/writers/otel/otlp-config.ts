/**
 * Where and how to export, resolved as every OpenTelemetry SDK does from the standard
 * `OTEL_EXPORTER_OTLP_*` variables, the writer's own keys winning over them.
 *
 * Precedence, highest first: writer key → `OTEL_EXPORTER_OTLP_METRICS_*` → `OTEL_EXPORTER_OTLP_*`
 * → default. The generic endpoint gets `/v1/metrics` appended, the metrics one is used as given
 * (OpenTelemetry's "Exporter configuration" specification). Headers merge per name in the same
 * order.
 */

/** The environment, as `process.env` is; injected so tests never touch the process's own. */
export type Env = Readonly<Record<string, string | undefined>>

export type OtlpProtocol = "http/protobuf" | "http/json"
export type OtlpCompression = "gzip" | "none"

/** The writer keys that override the environment. */
export interface OtlpKeys {
  endpoint?: string
  headers?: Record<string, string>
  protocol?: OtlpProtocol
  compression?: OtlpCompression
  /** Milliseconds. */
  timeout?: number
  resourceAttributes?: Record<string, string>
}

export interface OtlpConfig {
  url: URL
  /** Header name (lower-cased) → value. */
  headers: Record<string, string>
  protocol: OtlpProtocol
  compression: OtlpCompression
  timeoutMs: number
  /** Resource attributes from `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME` and `resourceAttributes`, without pollect's defaults. */
  resource: Record<string, string>
  /** Values that were ignored (a bad timeout, a header without `=`), for one warning each. */
  warnings: string[]
  /** What makes exporting impossible (gRPC asked for, an endpoint that is no URL). */
  problems: string[]
}

export const DEFAULT_ENDPOINT = "http://localhost:4318/v1/metrics"
export const DEFAULT_TIMEOUT_MS = 10_000

const GENERIC = "OTEL_EXPORTER_OTLP_"
const METRICS = "OTEL_EXPORTER_OTLP_METRICS_"

/** The metrics-specific variable if set (and not empty), else the generic one: `[value, variable name]`. */
function pick(env: Env, suffix: string): [string, string] | undefined {
  for (const prefix of [METRICS, GENERIC]) {
    const value = env[prefix + suffix]?.trim()
    if (value) return [value, prefix + suffix]
  }
  return undefined
}

/**
 * `k=v,k2=v2` with percent-encoded values (the W3C Baggage form both `OTEL_EXPORTER_OTLP_HEADERS`
 * and `OTEL_RESOURCE_ATTRIBUTES` use). An entry without `=` or with an empty key is skipped and
 * reported; the entry's text is never reported (it may be a token).
 */
export function parseKeyValueList(text: string, what: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  text.split(",").forEach((entry, i) => {
    if (!entry.trim()) return
    const eq = entry.indexOf("=")
    const key = eq < 0 ? "" : entry.slice(0, eq).trim()
    if (!key) {
      warnings.push(`${what}: entry ${i + 1} is not key=value; ignored`)
      return
    }
    const raw = entry.slice(eq + 1).trim()
    let value = raw
    try {
      value = decodeURIComponent(raw)
    } catch {
      warnings.push(`${what}: the value of ${key} is not valid percent-encoding; used as written`)
    }
    out[key] = value
  })
  return out
}

/** The generic endpoint plus `v1/metrics`, with exactly one slash between. */
export function appendMetricsPath(base: string): string {
  return base.replace(/\/+$/, "") + "/v1/metrics"
}

/** Resolves everything the exporter needs; never throws (problems and warnings are returned). */
export function resolveOtlpConfig(keys: OtlpKeys, env: Env): OtlpConfig {
  const warnings: string[] = []
  const problems: string[] = []

  // Endpoint: the key as given (a bare origin gets /v1/metrics), the metrics variable as given, the generic one + /v1/metrics.
  let endpoint = DEFAULT_ENDPOINT
  let endpointFrom = "the default"
  const metricsEndpoint = env[METRICS + "ENDPOINT"]?.trim()
  const genericEndpoint = env[GENERIC + "ENDPOINT"]?.trim()
  if (keys.endpoint !== undefined) {
    endpoint = keys.endpoint
    endpointFrom = "endpoint"
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*\/?$/i.test(endpoint)) endpoint = appendMetricsPath(endpoint)
  } else if (metricsEndpoint) {
    endpoint = metricsEndpoint
    endpointFrom = METRICS + "ENDPOINT"
  } else if (genericEndpoint) {
    endpoint = appendMetricsPath(genericEndpoint)
    endpointFrom = GENERIC + "ENDPOINT"
  }
  let url = new URL(DEFAULT_ENDPOINT)
  try {
    url = new URL(endpoint)
    if (url.protocol !== "http:" && url.protocol !== "https:") problems.push(`${endpointFrom}: must be an http:// or https:// URL`)
  } catch {
    problems.push(`${endpointFrom}: not a URL`)
  }

  // Headers: generic, then metrics-specific, then the key; names are case-insensitive.
  const headers: Record<string, string> = {}
  for (const prefix of [GENERIC, METRICS]) {
    const text = env[prefix + "HEADERS"]
    if (text) for (const [k, val] of Object.entries(parseKeyValueList(text, prefix + "HEADERS", warnings))) headers[k.toLowerCase()] = val
  }
  for (const [k, val] of Object.entries(keys.headers ?? {})) headers[k.toLowerCase()] = val

  let protocol: OtlpProtocol = "http/protobuf"
  const protocolText = keys.protocol ?? pick(env, "PROTOCOL")?.[0]
  if (protocolText === "http/protobuf" || protocolText === "http/json") protocol = protocolText
  else if (protocolText === "grpc")
    problems.push(`${pick(env, "PROTOCOL")?.[1]}: grpc is not supported; use http/protobuf (port 4318) or http/json`)
  else if (protocolText !== undefined)
    warnings.push(`${pick(env, "PROTOCOL")?.[1]}: unknown protocol "${protocolText}"; using http/protobuf`)

  let compression: OtlpCompression = "none"
  const compressionText = keys.compression ?? pick(env, "COMPRESSION")?.[0]
  if (compressionText === "gzip" || compressionText === "none") compression = compressionText
  else if (compressionText !== undefined)
    warnings.push(`${pick(env, "COMPRESSION")?.[1]}: unknown compression "${compressionText}"; sending uncompressed`)

  let timeoutMs = DEFAULT_TIMEOUT_MS
  if (keys.timeout !== undefined) timeoutMs = keys.timeout
  else {
    const timeout = pick(env, "TIMEOUT")
    if (timeout) {
      const ms = Number(timeout[0])
      if (Number.isFinite(ms) && ms > 0) timeoutMs = ms
      else warnings.push(`${timeout[1]}: expected milliseconds, got "${timeout[0]}"; using ${DEFAULT_TIMEOUT_MS}`)
    }
  }

  // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES (as the SDKs do); the key wins over both.
  const resource = env.OTEL_RESOURCE_ATTRIBUTES ? parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES, "OTEL_RESOURCE_ATTRIBUTES", warnings) : {}
  const serviceName = env.OTEL_SERVICE_NAME?.trim()
  if (serviceName) resource["service.name"] = serviceName
  Object.assign(resource, keys.resourceAttributes)

  return { url, headers, protocol, compression, timeoutMs, resource, warnings, problems }
}

/**
 * The resource's attributes: pollect's defaults (`service.name` pollect, `service.version`,
 * `host.name`) under what the environment and the `resourceAttributes` key set.
 */
export function resourceAttributes(resource: Record<string, string>, version: string, hostName: string): Record<string, string> {
  return { "service.name": "pollect", "service.version": version, "host.name": hostName, ...resource }
}

/** The URL for messages: no user info, no query (either may hold a token). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

/**
 * ExportMetricsServiceRequest in OTLP/JSON: proto3's JSON mapping with the OTLP rules
 * (lowerCamelCase field names, 64-bit integers as decimal strings, enums as integers).
 */
import { groupByMetric, type Point } from "./points.ts"
import { decimalNanos, type RequestHead } from "./protobuf-encode.ts"

type KeyValueJson = { key: string; value: { stringValue: string } }

function keyValues(kv: string[]): KeyValueJson[] {
  const out: KeyValueJson[] = []
  for (let i = 0; i < kv.length; i += 2) out.push({ key: kv[i]!, value: { stringValue: kv[i + 1]! } })
  return out
}

/** The request as a JSON-ready object (what `encodeRequestJson` serialises). */
export function requestJson(head: RequestHead, points: readonly Point[]): unknown {
  const times = new Map<number, string>()
  const nanos = (seconds: number) => {
    let text = times.get(seconds)
    if (text === undefined) times.set(seconds, (text = decimalNanos(seconds)))
    return text
  }
  const metrics = groupByMetric(points).map(({ metric, points: pts }) => {
    const dataPoints = pts.map((p) => {
      const point: Record<string, unknown> = { attributes: keyValues(p.attributes) }
      if (!Number.isNaN(p.start)) point.startTimeUnixNano = nanos(p.start)
      point.timeUnixNano = nanos(p.time)
      point.asDouble = p.value
      return point
    })
    const out: Record<string, unknown> = { name: metric.name }
    if (metric.description) out.description = metric.description
    if (metric.unit) out.unit = metric.unit
    if (metric.monotonic) out.sum = { dataPoints, aggregationTemporality: 2, isMonotonic: true }
    else out.gauge = { dataPoints }
    return out
  })
  return {
    resourceMetrics: [
      {
        resource: { attributes: keyValues(head.resource) },
        scopeMetrics: [{ scope: { name: head.scopeName, version: head.scopeVersion }, metrics }],
      },
    ],
  }
}

const encoder = new TextEncoder()

/** The request as OTLP/JSON bytes (UTF-8). Only finite values reach here (JSON has no NaN). */
export function encodeRequestJson(head: RequestHead, points: readonly Point[]): Uint8Array {
  return encoder.encode(JSON.stringify(requestJson(head, points)))
}

/**
 * OTLP encoding for the Otel writer: three ways to make an ExportMetricsServiceRequest, compared by
 * encode speed (points per second), memory and the bytes each adds to `bun build --compile`:
 * - `hand`: src/writers/otel/protobuf-encode.ts (no dependency);
 * - `bufbuild`: @bufbuild/protobuf 2 with the schema as generated code embeds it (a serialized
 *   FileDescriptorSet; `create()` + `toBinary()`);
 * - `protobufjs`: protobufjs/light with a JSON descriptor (what `pbjs -t json` gives), `encode()` of
 *   plain objects.
 * The same points (1000 series per tick, 2 attributes each, a quarter counters) go through each in
 * requests of 8192 points; every encoder's first request is decoded by the official .proto files
 * (protobufjs) and must equal the hand encoder's. Each encoder runs in its own process, so its RSS is
 * its own. `writer path` adds naming (SourceResult → points) to the hand encoder: what write() costs.
 *
 *   npx bun bench/otel-encode.ts [points=1000000] [rounds=5]
 *   npx bun bench/otel-encode.ts --size          # bytes each adds to a compiled binary
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ValueSet } from "../src/core/value-set.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { groupByMetric, PointMaker, type Point } from "../src/writers/otel/points.ts"
import { encodeRequestProto, ReverseWriter, type RequestHead } from "../src/writers/otel/protobuf-encode.ts"

const BATCH = 8192
const PER_TICK = 1000
const HEAD: RequestHead = {
  resource: ["service.name", "pollect", "service.version", "0.1.0", "host.name", "bench"],
  scopeName: "pollect",
  scopeVersion: "0.1.0",
}
const REQUEST = "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest"

/** One tick: 10 sources of 100 values, label `dev` + a static label; every fourth source a counter. */
function tick(time: number): SourceResult[] {
  const results: SourceResult[] = []
  for (let s = 0; s < PER_TICK / 100; s++) {
    const set = new ValueSet(["dev"], s % 4 === 0 ? { kind: "counter", unit: "bytes" } : { unit: "celsius" })
    for (let i = 0; i < 100; i++) set.add(time + i * 0.5, [`dev${i}`], `value_${i % 10}`)
    results.push({
      id: `s${s}`,
      collection: "pollect",
      type: "Bench",
      name: `src${s}`,
      labels: { site: "home" },
      time,
      sets: [set],
      timeoutSeconds: 10,
    })
  }
  return results
}

function batches(points: number): Point[][] {
  const maker = new PointMaker()
  const all: Point[] = []
  for (let t = 0; all.length < points; t++) maker.points(tick(1_700_000_000 + t * 10), all)
  all.length = points
  const out: Point[][] = []
  for (let i = 0; i < all.length; i += BATCH) out.push(all.slice(i, i + BATCH))
  return out
}

type Encoder = (batch: Point[]) => Uint8Array

async function handEncoder(): Promise<Encoder> {
  const w = new ReverseWriter()
  return (batch) => encodeRequestProto(w, HEAD, batch)
}

/** Per-request time caches, as the hand encoder has. */
function timeCache<T>(make: (seconds: number) => T): (seconds: number) => T {
  const cache = new Map<number, T>()
  return (s) => {
    let v = cache.get(s)
    if (v === undefined) {
      if (cache.size > 64) cache.clear()
      cache.set(s, (v = make(s)))
    }
    return v
  }
}
const nanosBig = (s: number) => BigInt(Math.round(s * 1e6)) * 1000n

async function bufbuildEncoder(descriptorSet: Uint8Array): Promise<Encoder> {
  const { create, createFileRegistry, fromBinary, toBinary } = await import("@bufbuild/protobuf")
  const { FileDescriptorSetSchema } = await import("@bufbuild/protobuf/wkt")
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet))
  const Request = registry.getMessage(REQUEST)!
  const time = timeCache(nanosBig)
  const kv = (a: string[]) => {
    const out = []
    for (let i = 0; i < a.length; i += 2) out.push({ key: a[i], value: { value: { case: "stringValue", value: a[i + 1] } } })
    return out
  }
  return (batch) => {
    const metrics = groupByMetric(batch).map(({ metric, points }) => {
      const dataPoints = points.map((p) => ({
        attributes: kv(p.attributes),
        startTimeUnixNano: !Number.isNaN(p.start) ? time(p.start) : 0n,
        timeUnixNano: time(p.time),
        value: { case: "asDouble", value: p.value },
      }))
      return {
        name: metric.name,
        unit: metric.unit,
        description: metric.description,
        data: metric.monotonic
          ? { case: "sum", value: { dataPoints, aggregationTemporality: 2, isMonotonic: true } }
          : { case: "gauge", value: { dataPoints } },
      }
    })
    const init = {
      resourceMetrics: [
        {
          resource: { attributes: kv(HEAD.resource) },
          scopeMetrics: [{ scope: { name: HEAD.scopeName, version: HEAD.scopeVersion }, metrics }],
        },
      ],
    }
    return toBinary(Request, create(Request, init as never))
  }
}

async function protobufjsEncoder(json: object): Promise<Encoder> {
  const protobuf = (await import("protobufjs/light.js")).default
  // protobufjs' own long.js (its dependency), as its fixed64 fields take.
  const Long = protobuf.util.Long as unknown as { fromString(text: string, unsigned: boolean): unknown }
  const Request = protobuf.Root.fromJSON(json as protobuf.INamespace).lookupType(REQUEST)
  const time = timeCache((s) => Long.fromString(nanosBig(s).toString(), true))
  const kv = (a: string[]) => {
    const out = []
    for (let i = 0; i < a.length; i += 2) out.push({ key: a[i], value: { stringValue: a[i + 1] } })
    return out
  }
  return (batch) => {
    const metrics = groupByMetric(batch).map(({ metric, points }) => {
      const dataPoints = points.map((p) => {
        const point: Record<string, unknown> = { attributes: kv(p.attributes), timeUnixNano: time(p.time), asDouble: p.value }
        if (!Number.isNaN(p.start)) point.startTimeUnixNano = time(p.start)
        return point
      })
      const out: Record<string, unknown> = { name: metric.name, unit: metric.unit, description: metric.description }
      if (metric.monotonic) out.sum = { dataPoints, aggregationTemporality: 2, isMonotonic: true }
      else out.gauge = { dataPoints }
      return out
    })
    return Request.encode({
      resourceMetrics: [
        {
          resource: { attributes: kv(HEAD.resource) },
          scopeMetrics: [{ scope: { name: HEAD.scopeName, version: HEAD.scopeVersion }, metrics }],
        },
      ],
    }).finish()
  }
}

/**
 * The schema in the two forms the libraries ship with: a FileDescriptorSet (what bufbuild's
 * generated code embeds) and pbjs JSON (protobufjs). protobufjs' toDescriptor leaves type names
 * relative and dependencies empty; they are made absolute here, as protoc writes them.
 */
async function schemas(): Promise<{ descriptorSet: Uint8Array; json: object }> {
  const root = await (await import("../src/writers/otel/fake-collector.ts")).otlpRoot()
  const descriptor = (await import("protobufjs/ext/descriptor/index.js")).default as any
  const set = (root as any).toDescriptor("proto3")
  const fileOf = new Map<string, string>()
  const walk = (file: string, scope: string, messages: any[], enums: any[]) => {
    for (const e of enums ?? []) fileOf.set(`${scope}.${e.name}`, file)
    for (const m of messages ?? []) {
      fileOf.set(`${scope}.${m.name}`, file)
      walk(file, `${scope}.${m.name}`, m.nestedType, m.enumType)
    }
  }
  for (const f of set.file) walk(f.name, f.package, f.messageType, f.enumType)
  const fix = (file: any, scope: string, messages: any[]) => {
    for (const m of messages ?? []) {
      const inner = `${scope}.${m.name}`
      for (const field of m.field ?? []) {
        if (!field.typeName || field.typeName.startsWith(".")) continue
        const parts = inner.split(".")
        for (let i = parts.length; i >= 0; i--) {
          const full = [...parts.slice(0, i), field.typeName].join(".")
          const where = fileOf.get(full)
          if (where === undefined) continue
          field.typeName = "." + full
          if (where !== file.name && !file.dependency.includes(where)) file.dependency.push(where)
          break
        }
      }
      fix(file, inner, m.nestedType)
    }
  }
  for (const f of set.file) fix(f, f.package, f.messageType)
  // Dependencies first, as createFileRegistry reads them.
  const ordered: any[] = []
  const visit = (f: any) => {
    if (ordered.includes(f)) return
    for (const dep of f.dependency) visit(set.file.find((g: any) => g.name === dep))
    ordered.push(f)
  }
  for (const f of set.file) visit(f)
  set.file = ordered
  return { descriptorSet: descriptor.FileDescriptorSet.encode(set).finish(), json: root.toJSON() }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

async function one(name: string, points: number, rounds: number, schemaFile: string): Promise<void> {
  const saved = JSON.parse(await Bun.file(schemaFile).text())
  const descriptorSet = Buffer.from(saved.descriptorSet, "base64")
  const json = saved.json
  Bun.gc(true)
  const rssBefore = process.memoryUsage().rss
  const encode =
    name === "bufbuild" ? await bufbuildEncoder(descriptorSet) : name === "protobufjs" ? await protobufjsEncoder(json) : await handEncoder()
  const rssLoaded = process.memoryUsage().rss
  const data = batches(points)
  // Check: the first request decodes (official schema) to what the hand encoder's decodes to.
  const Request = (await (await import("../src/writers/otel/fake-collector.ts")).otlpRoot()).lookupType(REQUEST)
  const asObject = (bytes: Uint8Array) => Request.toObject(Request.decode(bytes), { longs: String, enums: Number })
  const reference = JSON.stringify(asObject((await handEncoder())(data[0]!)))
  const same = JSON.stringify(asObject(encode(data[0]!).slice())) === reference
  const ticks = name === "writer path" ? Array.from({ length: Math.ceil(points / PER_TICK) }, (_, t) => tick(1_700_000_000 + t * 10)) : []
  Bun.gc(true)
  const rssFixture = process.memoryUsage().rss
  const rates: number[] = []
  let bytes = 0
  const maker = new PointMaker()
  for (let r = 0; r < rounds; r++) {
    bytes = 0
    const start = Bun.nanoseconds()
    if (name === "writer path") {
      // write(): name the values, then encode them request by request.
      let pending: Point[] = []
      for (const results of ticks) {
        maker.points(results, pending)
        if (pending.length >= BATCH) {
          bytes += encode(pending.splice(0, BATCH)).length
        }
      }
      if (pending.length) bytes += encode(pending).length
      pending = []
    } else for (const batch of data) bytes += encode(batch).length
    rates.push(points / ((Bun.nanoseconds() - start) / 1e9))
  }
  rates.sort((a, b) => a - b)
  const rssAfter = process.memoryUsage().rss
  console.log(
    JSON.stringify({
      name,
      pointsPerSecond: Math.round(rates[rates.length >> 1]!),
      best: Math.round(rates.at(-1)!),
      bytesPerPoint: +(bytes / points).toFixed(1),
      sameAsOfficialDecode: same,
      rssLoadMB: mb(rssLoaded - rssBefore),
      rssEncodeMB: mb(rssAfter - rssFixture),
    }),
  )
}

/**
 * Bytes each encoder adds to a compiled binary (`bun build --compile --minify --bytecode`, as
 * scripts/build.ts), over a baseline that holds pollect's API; bufbuild's and protobufjs' entries
 * embed the schema as their generated code would (a descriptor; pbjs JSON).
 */
async function sizes(): Promise<void> {
  const { descriptorSet, json } = await schemas()
  const dir = join(import.meta.dir, ".otel-size")
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const entries: Record<string, string> = {
    baseline: `console.log(process.argv.length)`,
    hand: `import { encodeRequestProto, ReverseWriter } from "../../src/writers/otel/protobuf-encode.ts"
console.log(encodeRequestProto(new ReverseWriter(), { resource: [], scopeName: "p", scopeVersion: "1" }, []).length)`,
    bufbuild: `import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf"
import { FileDescriptorSetSchema, base64Decode } from "@bufbuild/protobuf/wkt"
import { base64Decode as b64 } from "@bufbuild/protobuf/wire"
const reg = createFileRegistry(fromBinary(FileDescriptorSetSchema, b64(${JSON.stringify(Buffer.from(descriptorSet).toString("base64"))})))
const R = reg.getMessage("${REQUEST}")
console.log(toBinary(R, create(R, {})).length)`,
    protobufjs: `import protobuf from "protobufjs/light.js"
const R = protobuf.Root.fromJSON(${JSON.stringify(json)}).lookupType("${REQUEST}")
console.log(R.encode({}).finish().length)`,
  }
  // base64Decode lives in wire; the wkt import above only needs the schema.
  entries.bufbuild = entries.bufbuild!.replace(", base64Decode } from", " } from")
  // Every entry holds pollect's API (which the writer imports anyway), so a difference is the encoder alone.
  for (const name of Object.keys(entries))
    entries[name] = `import { graphitePaths } from "../../src/api.ts"\nconsole.log(typeof graphitePaths)\n${entries[name]}`
  const size: Record<string, number> = {}
  for (const [name, code] of Object.entries(entries)) {
    const entry = join(dir, `${name}.ts`)
    const out = join(dir, name)
    writeFileSync(entry, code)
    const build = Bun.spawnSync(
      [process.execPath, "build", entry, "--compile", "--minify", "--bytecode", "--format=esm", "--outfile", out],
      {
        stdout: "ignore",
        stderr: "pipe",
      },
    )
    if (build.exitCode !== 0) throw new Error(`${name}: ${build.stderr.toString()}`)
    const run = Bun.spawnSync([out])
    if (run.exitCode !== 0) throw new Error(`${name}: the compiled binary fails: ${run.stderr.toString()}`)
    size[name] = statSync(out).size
  }
  rmSync(dir, { recursive: true, force: true })
  for (const [name, bytes] of Object.entries(size))
    console.log(
      `${name.padEnd(12)} ${String(bytes).padStart(10)} bytes${name === "baseline" ? "" : `  (+${((bytes - size.baseline!) / 1024).toFixed(1)} KiB)`}`,
    )
}

const args = process.argv.slice(2)
if (args[0] === "--size") await sizes()
else if (args[0] === "--one") await one(args[1]!, Number(args[2]), Number(args[3]), args[4]!)
else {
  const points = Number(args[0] ?? 1_000_000)
  const rounds = Number(args[1] ?? 5)
  const repeats = Number(args[2] ?? 3)
  const { descriptorSet, json } = await schemas()
  const schemaFile = join(import.meta.dir, ".otel-schema.json")
  writeFileSync(schemaFile, JSON.stringify({ descriptorSet: Buffer.from(descriptorSet).toString("base64"), json }))
  console.log(
    `OTLP ExportMetricsServiceRequest encode, ${points} points in requests of ${BATCH}; each encoder in its own process, ${repeats} processes interleaved, ${rounds} rounds each (Bun ${Bun.version})`,
  )
  const names = ["hand", "protobufjs", "bufbuild", "writer path"]
  const runs = new Map<string, any[]>(names.map((n) => [n, []]))
  for (let r = 0; r < repeats; r++)
    for (const name of names) {
      const child = Bun.spawnSync([process.execPath, import.meta.path, "--one", name, String(points), String(rounds), schemaFile], {
        stderr: "inherit",
      })
      runs.get(name)!.push(JSON.parse(child.stdout.toString()))
    }
  rmSync(schemaFile, { force: true })
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  for (const [name, rs] of runs) {
    const rates = rs.map((r) => r.pointsPerSecond)
    console.log(
      `${name.padEnd(12)} ${String(median(rates)).padStart(9)} points/s median (runs ${rates.join(", ")}; best round ${Math.max(...rs.map((r) => r.best))})  ${rs[0].bytesPerPoint} B/point  RSS +${median(rs.map((r) => +r.rssLoadMB))} MB to load, +${median(rs.map((r) => +r.rssEncodeMB))} MB while encoding  decodes as hand: ${rs.every((r) => r.sameAsOfficialDecode)}`,
    )
  }
}

/**
 * What Bind emits. Each group of counters is a per-second rate set (`<name>_per_sec`, with
 * `counters: "rate"` or `"both"`) and/or a totals set (`<name>`, with `"total"` or `"both"`);
 * `<view>` is a listed view's name, lower-cased (`_default`).
 */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  queriesRate: {
    values: ["server.queries_per_sec"],
    labels: ["queryType"],
    unit: "per_second",
    help: "Queries received by type, per second",
  },
  queries: { values: ["server.queries"], labels: ["queryType"], kind: "counter", help: "Queries received by type" },
  opcodesRate: {
    values: ["server.opcodes_per_sec"],
    labels: ["opcode"],
    unit: "per_second",
    help: "Requests received by opcode, per second",
  },
  opcodes: { values: ["server.opcodes"], labels: ["opcode"], kind: "counter", help: "Requests received by opcode" },
  rcodesRate: { values: ["server.rcodes_per_sec"], labels: ["rcode"], unit: "per_second", help: "Responses sent by rcode, per second" },
  rcodes: { values: ["server.rcodes"], labels: ["rcode"], kind: "counter", help: "Responses sent by rcode" },
  nsstatsRate: { values: ["server.nsstats_per_sec"], labels: ["counter"], unit: "per_second", help: "Name server statistics, per second" },
  nsstats: { values: ["server.nsstats"], labels: ["counter"], kind: "counter", help: "Name server statistics" },
  resolverQueriesRate: {
    values: ["<view>.queries_per_sec"],
    labels: ["queryType"],
    unit: "per_second",
    help: "Queries sent by the resolver, per second",
  },
  resolverQueries: { values: ["<view>.queries"], labels: ["queryType"], kind: "counter", help: "Queries sent by the resolver" },
  cacheRate: { values: ["<view>.cache_per_sec"], labels: ["queryType"], unit: "per_second", help: "Cache lookups, per second" },
  cache: { values: ["<view>.cache"], labels: ["queryType"], kind: "counter", help: "Cache lookups" },
  resstatsRate: { values: ["<view>.resstats_per_sec"], labels: ["counter"], unit: "per_second", help: "Resolver statistics, per second" },
  resstats: { values: ["<view>.resstats"], labels: ["counter"], kind: "counter", help: "Resolver statistics" },
  cachestatsRate: { values: ["<view>.cachestats_per_sec"], labels: ["counter"], unit: "per_second", help: "Cache statistics, per second" },
  cachestats: { values: ["<view>.cachestats"], labels: ["counter"], kind: "counter", help: "Cache statistics" },
  cacheSize: { values: ["<view>.cache.size"], labels: ["counter"], help: "Cache size and memory" },
  cacheRrsets: { values: ["<view>.cache.rrsets"], labels: ["queryType"], help: "RRsets in the cache by type" },
})

/**
 * The three parts of prom-client pollect's own metrics use, required one by one: its index also
 * evaluates the cluster aggregator, the default process metrics, Pushgateway, Histogram and
 * Summary (with node:cluster, perf_hooks and v8), which cost a daemon about 4 MB of heap and
 * 4 MB of runtime code for nothing it serves (bench/RESULTS.md, "Footprint").
 */
import type * as PromClient from "prom-client"

export const Registry = require("prom-client/lib/registry") as typeof PromClient.Registry
export type Registry = PromClient.Registry
export const Counter = require("prom-client/lib/counter") as typeof PromClient.Counter
export type Counter<T extends string = string> = PromClient.Counter<T>
export const Gauge = require("prom-client/lib/gauge") as typeof PromClient.Gauge
export type Gauge<T extends string = string> = PromClient.Gauge<T>

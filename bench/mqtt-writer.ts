/**
 * Mqtt writer throughput: values encoded (1.2's topic, decimal payload) and published to a
 * loopback mosquitto, in values per second. Ticks of PER_TICK distinct series; each tick is
 * written and drained (QoS 0: written into the socket; QoS 1: acknowledged by the broker)
 * before the next, as a daemon's ticks would be. Figures:
 * - `encode`: topics and payloads only (what write() computes per value), no I/O;
 * - `writer QoS 0` / `writer QoS 1` (+ discovery): MqttWriter.write() and its flush loop, end to end.
 * A subscriber on `#` checks at the end that the broker has the last tick's values.
 *
 *   bun bench/mqtt-writer.ts [values=200000] [rounds=3]
 */
import { silentLogger } from "../src/core/log.ts"
import { SelfMetrics } from "../src/core/self-metrics.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { ValueSet } from "../src/core/value-set.ts"
import { MqttWriter } from "../src/writers/mqtt/index.ts"
import { topicBase, valuePayload, valueTopic } from "../src/writers/mqtt/topics.ts"
import { Mosquitto } from "../test/helpers/mosquitto.ts"

const VALUES = Number(process.argv[2] ?? 200_000)
const ROUNDS = Number(process.argv[3] ?? 3)
const PER_TICK = 1000

/** One tick: 10 sources of 100 values each (label `dev`), like a busy host. */
function tick(t: number): SourceResult[] {
  const out: SourceResult[] = []
  for (let s = 0; s < 10; s++) {
    const set = new ValueSet(["dev"], { unit: "bytes", kind: "counter" })
    for (let i = 0; i < PER_TICK / 10; i++) set.add(t * 1000 + i + 0.5, [`disk${i}`], "read_bytes")
    out.push({ id: `s${s}`, collection: "pollect", type: "IO", name: `n${s}`, labels: {}, time: t, sets: [set], timeoutSeconds: 10 })
  }
  return out
}

function encode(ticks: SourceResult[][]): number {
  let bytes = 0
  for (const results of ticks) {
    for (const result of results) {
      const base = topicBase(result)
      for (const set of result.sets)
        for (const value of set.values) bytes += valueTopic(base, set, value, result.labels).length + valuePayload(value.value)!.length
    }
  }
  return bytes
}

async function run(broker: Mosquitto, ticks: SourceResult[][], qos: 0 | 1, hass: boolean): Promise<number> {
  const writer = new MqttWriter(
    { type: "Mqtt", host: "127.0.0.1", port: broker.port, qos, hassAutodiscovery: hass, clientId: `bench-${qos}-${hass}` } as never,
    {
      log: silentLogger,
      stateDir: "/tmp",
      configDir: "/tmp",
      selfMetrics: new SelfMetrics(),
      once: false,
    },
  )
  writer.start()
  while (!writer.isConnected) await Bun.sleep(5)
  const started = performance.now()
  for (const results of ticks) {
    writer.write(results)
    await writer.drain()
  }
  const seconds = (performance.now() - started) / 1000
  await writer.stop()
  return (ticks.length * PER_TICK) / seconds
}

const broker = new Mosquitto()
await broker.start()
const ticks = Array.from({ length: Math.ceil(VALUES / PER_TICK) }, (_, t) => tick(t))
const fmt = (n: number) => `${Math.round(n).toLocaleString("en")} values/s`
console.log(`${ticks.length * PER_TICK} values in ticks of ${PER_TICK} series, to mosquitto on 127.0.0.1:${broker.port}`)
for (let round = 0; round < ROUNDS; round++) {
  const t0 = performance.now()
  encode(ticks)
  const encodeRate = (ticks.length * PER_TICK) / ((performance.now() - t0) / 1000)
  const q0 = await run(broker, ticks, 0, false)
  const q1 = await run(broker, ticks, 1, false)
  const q0d = await run(broker, ticks, 0, true)
  console.log(`round ${round + 1}: encode ${fmt(encodeRate)}; writer QoS 0 ${fmt(q0)}; QoS 1 ${fmt(q1)}; QoS 0 + discovery ${fmt(q0d)}`)
}
// The broker really has the newest values of the last tick.
const sub = await broker.subscriber(["pollect.io.n9/#"])
const last = ticks.length - 1
await sub.until((m) => m.get("pollect.io.n9/read_bytes/dev/disk99") === String(last * 1000 + 99 + 0.5))
console.log("checked: the broker holds the last tick's values")
await sub.close()
await broker.stop()

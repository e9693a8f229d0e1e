import { afterEach, describe, expect, it } from "bun:test"
import mqtt from "mqtt"
import { readFileSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { version } from "../../api.ts"
import { ValueSet } from "../../core/value-set.ts"
import { metrics as loadAvgMetrics } from "../../sources/load-avg/metrics.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { Mosquitto } from "../../../test/helpers/mosquitto.ts"
import { findTool, IN_CI, itWithTools, missingTools } from "../../../test/helpers/tools.ts"
import { freePort, stopProcess } from "../../../test/helpers/processes.ts"
import { discoveryEntry, HASS_UNITS, hassMeasure, OBJECT_ID, shortHash, toObjectId } from "./discovery.ts"
import { backoffMs, describeMqttError, MqttWriter } from "./index.ts"
import { LatestOutbox } from "./outbox.ts"
import { topicBase, valuePayload, valueTopic } from "./topics.ts"

// The suite against a real mosquitto; received() is what a second client subscribed to `#` got.
if (missingTools(["mosquitto"]).length === 0 || IN_CI) {
  writerConformance({
    type: "Mqtt",
    cls: MqttWriter,
    dir: import.meta.dir,
    peer: async () => {
      const broker = new Mosquitto()
      await broker.start()
      const sub = await broker.subscriber()
      return {
        config: { host: "127.0.0.1", port: broker.port, clientId: `conformance-${broker.port}` },
        received: () => [...sub.messages].map(([topic, payload]) => `${topic} ${payload}`),
        close: async () => {
          await sub.close()
          await broker.stop()
        },
      }
    },
  })
} else {
  it.skip("Mqtt: writer conformance [needs mosquitto]", () => {})
}

/** The topics of one result, as the writer builds them. */
function topicsOf(result: ReturnType<typeof resultOf>): string[] {
  const base = topicBase(result)
  return result.sets.flatMap((set) => set.values.map((value) => valueTopic(base, set, value, result.labels)))
}

describe("Mqtt topics (pollect 1.2's MqttWriter rules)", () => {
  it("LoadAvg: label `time`, no value name, lower-cased type", () => {
    const set = new ValueSet(loadAvgMetrics.load).add(0.5, ["short"]).add(0.25, ["mid"]).add(0.125, ["long"])
    expect(topicsOf(resultOf(set, { type: "LoadAvg" }))).toEqual([
      "pollect.loadavg/time/short",
      "pollect.loadavg/time/mid",
      "pollect.loadavg/time/long",
    ])
  })

  it("value name, then each label and value, then the static labels after the set's own; everything lower-cased", () => {
    const set = new ValueSet(["interface"]).add(5, ["ETH0"], "Total_Bytes_Sent")
    const result = resultOf(set, { type: "Interface", name: "Lan", collection: "Home", labels: { Site: "Berlin", rack: "r1" } })
    expect(topicsOf(result)).toEqual(["home.interface.lan/total_bytes_sent/interface/eth0/site/berlin/rack/r1"])
  })

  it("an unnamed single value is the bare base; an empty value name keeps 1.2's empty level", () => {
    expect(topicsOf(resultOf(3, { type: "Http", name: "local" }))).toEqual(["pollect.http.local"])
    expect(topicsOf(resultOf(new ValueSet().add(1, [], ""), { type: "X" }))).toEqual(["pollect.x/"])
  })

  it("wildcards and NUL, illegal in a publish topic, become _; slashes in a label value stay levels", () => {
    const set = new ValueSet(["path"]).add(1, ["/var/+lib#"])
    expect(topicsOf(resultOf(set, { type: "DiskUsage" }))).toEqual(["pollect.diskusage/path//var/_lib_"])
  })

  it("payloads are decimal text; NaN and infinities are not published", () => {
    expect([0, 0.5, 42, -1.25, 1e21].map(valuePayload)).toEqual(["0", "0.5", "42", "-1.25", "1e+21"])
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(valuePayload)).toEqual([undefined, undefined, undefined])
  })
})

describe("Mqtt Home Assistant discovery (pure)", () => {
  it("object ids are made of [a-zA-Z0-9_-] only (1.2 kept the dots, which Home Assistant refuses)", () => {
    for (const text of ["pollect.loadavg/time/short", "pollect_web1.lan_pollect.diskusage/path//var/lib", "ä ö ü", "", "A-b_C"]) {
      expect(toObjectId(text)).toMatch(OBJECT_ID)
    }
    expect(toObjectId("pollect_web1_pollect.loadavg/time/short")).toBe("pollect_web1_pollect_loadavg_time_short")
    expect(shortHash("a")).not.toBe(shortHash("b"))
    expect(shortHash("a")).toMatch(/^[0-9a-f]{8}$/)
  })

  it("pollect 1.2's recorded discovery (testdata/python-1.2/discovery.txt) is what this writer fixes", () => {
    const lines = readFileSync(join(import.meta.dir, "testdata/python-1.2/discovery.txt"), "utf8")
      .trim()
      .split("\n")
    const configs = lines
      .filter((line) => line.startsWith("homeassistant/"))
      .map((line) => {
        const space = line.indexOf(" ")
        return { objectId: line.slice(0, space).split("/")[2]!, config: JSON.parse(line.slice(space + 1)) }
      })
    expect(configs).toHaveLength(4)
    // Dots in the object id: Home Assistant refuses the discovery topic.
    expect(configs.filter((c) => OBJECT_ID.test(c.objectId))).toEqual([])
    // state_topic is the value name or null, never a topic a value was published on; no unique_id, no device.
    const published = new Set(lines.filter((line) => !line.startsWith("homeassistant/")).map((line) => line.split(" ")[0]))
    expect(configs.filter((c) => published.has(c.config.state_topic) || c.config.unique_id || c.config.device)).toEqual([])
    expect(configs.map((c) => toObjectId(c.objectId)).every((id) => OBJECT_ID.test(id))).toBe(true)
  })

  it("units and classes from the declared unit and kind", () => {
    expect(hassMeasure("celsius", "gauge")).toEqual({ unit_of_measurement: "°C", device_class: "temperature", state_class: "measurement" })
    expect(hassMeasure("bytes", "counter")).toEqual({
      unit_of_measurement: "B",
      device_class: "data_size",
      state_class: "total_increasing",
    })
    expect(hassMeasure("bytes", undefined)).toEqual({ unit_of_measurement: "B", device_class: "data_size", state_class: "measurement" })
    expect(hassMeasure("joules", "counter")).toEqual({ unit_of_measurement: "J", device_class: "energy", state_class: "total_increasing" })
    expect(hassMeasure("joules", "gauge")).toEqual({ unit_of_measurement: "J", device_class: "energy", state_class: "total" })
    expect(hassMeasure("percent", undefined)).toEqual({ unit_of_measurement: "%", state_class: "measurement" })
    expect(hassMeasure("ratio", undefined)).toEqual({ state_class: "measurement" })
    expect(hassMeasure(undefined, "counter")).toEqual({ state_class: "total_increasing" })
    expect(hassMeasure("furlongs", undefined)).toEqual({ unit_of_measurement: "furlongs", state_class: "measurement" })
  })

  it("every unit a source declares has its Home Assistant unit in the table", async () => {
    const { Glob } = await import("bun")
    const declared = new Set<string>()
    for (const file of new Glob("src/sources/*/metrics.ts").scanSync()) {
      for (const match of (await Bun.file(file).text()).matchAll(/unit: "([a-z_]+)"/g)) declared.add(match[1]!)
    }
    expect(declared.size).toBeGreaterThan(5)
    expect([...declared].filter((unit) => !(unit in HASS_UNITS))).toEqual([])
  })

  it("the config topic is <prefix>/sensor/<object_id>/config and the state topic is the value's topic", () => {
    const device = { host: "web1", version: "9.9.9", availabilityTopic: "pollect/pollect-web1/status" }
    const entry = discoveryEntry(
      "homeassistant",
      device,
      "pollect_web1_pollect_loadavg_time_short",
      "pollect.loadavg/time/short",
      "pollect LoadAvg short",
      undefined,
      undefined,
    )
    expect(entry.configTopic).toBe("homeassistant/sensor/pollect_web1_pollect_loadavg_time_short/config")
    expect(JSON.parse(entry.payload).state_topic).toBe("pollect.loadavg/time/short")
  })
})

describe("Mqtt outbox: retained state, newest wins, bounded", () => {
  it("a newer value replaces the waiting one in place; a full outbox drops the oldest topic", () => {
    const box = new LatestOutbox(2)
    expect(box.put("a", "1")).toBe(0)
    expect(box.put("b", "1")).toBe(0)
    expect(box.put("a", "2")).toBe(0)
    expect(box.put("c", "1")).toBe(1)
    expect(box.take(10)).toEqual([
      ["b", "1"],
      ["c", "1"],
    ])
    expect(box.size).toBe(0)
  })

  it("putBack never overwrites something newer; offer never pushes anything out", () => {
    const box = new LatestOutbox(2)
    box.put("a", "new")
    expect(box.putBack("a", "old")).toBe(0)
    expect(box.offer("b", "x")).toBe(true)
    expect(box.offer("c", "x")).toBe(false)
    expect(box.take(10)).toEqual([
      ["a", "new"],
      ["b", "x"],
    ])
  })
})

describe("Mqtt connection helpers", () => {
  it("backs off 0.5 s, 1 s, 2 s ... up to 30 s", () => {
    expect([1, 2, 3, 4, 7, 20].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 30_000, 30_000])
  })

  it("a refused login (MQTT 3.1.1 codes 4 and 5, MQTT 5's 134 and 135) says to check user and password", () => {
    for (const code of [4, 5, 134, 135]) {
      const error = Object.assign(new Error("Connection refused: Not authorized"), { code })
      expect(describeMqttError(error)).toEqual({
        text: "the broker refused the login (Connection refused: Not authorized): check user and password",
        auth: true,
      })
    }
    const tls = Object.assign(new Error("self signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" })
    expect(describeMqttError(tls).text).toContain("give the CA that signed it in tls.ca")
  })

  it("start() with a missing TLS file fails with the file's path", () => {
    const writer = new MqttWriter({ type: "Mqtt", tls: { ca: "no-such-ca.pem" } } as never, {
      log: { debug() {}, info() {}, warn() {}, error() {} } as never,
      stateDir: "/tmp",
      configDir: "/nonexistent-dir",
      selfMetrics: { count() {} } as never,
      once: false,
    })
    expect(() => writer.start()).toThrow("tls.ca: cannot read /nonexistent-dir/no-such-ca.pem")
  })
})

/** A writer with a recording context: its log lines (level and text) and its self-metrics counts. */
function recorded(config: Record<string, unknown> = {}, configDir = process.cwd()) {
  const lines: string[] = []
  const counts: Record<string, number> = {}
  const log = Object.fromEntries(
    ["debug", "info", "warn", "error"].map((level) => [level, (message: string) => lines.push(`${level} ${message}`)]),
  )
  const writer = makeWriter<MqttWriter>(
    MqttWriter,
    { type: "Mqtt", clientId: "pollect-unit", ...config },
    {
      configDir,
      log: log as never,
      selfMetrics: {
        count: (name: string, labels: Record<string, string>, by = 1) => {
          const key = `${name}${JSON.stringify(labels)}`
          counts[key] = (counts[key] ?? 0) + by
        },
      } as never,
    },
  )
  return { writer, lines, counts }
}

/** Cuts the TCP connection under MQTT.js, without a DISCONNECT packet (with `error`, as a peer's reset would). */
const cutConnection = (writer: MqttWriter, error?: Error) =>
  (writer as unknown as { client: { stream: { destroy(error?: Error): void } } }).client.stream.destroy(error)

/** What waits in the writer's outbox (taken out): the messages write() made, in order. */
const pending = (writer: MqttWriter) => (writer as unknown as { outbox: LatestOutbox }).outbox.take(1_000_000)

const loadAvg = (short: number, mid = 0.25, long = 0.125) =>
  resultOf(new ValueSet(loadAvgMetrics.load).add(short, ["short"]).add(mid, ["mid"]).add(long, ["long"]), {
    type: "LoadAvg",
    id: "executors[0].sources[0]",
  })

describe("Mqtt writer: a publish that fails (a stand-in client)", () => {
  it("the send loop stops at a failed batch: the messages wait in the outbox for the next connection, the loop does not spin", async () => {
    const { writer, lines, counts } = recorded()
    let publishes = 0
    const internals = writer as unknown as { client: unknown; connected: boolean; outbox: { size: number } }
    // MQTT.js calls back with an error (an invalid topic, a connection cut under it) while the writer still counts as connected.
    internals.client = {
      publish: (_topic: string, _payload: string, _options: unknown, callback: (error?: Error) => void) => {
        publishes++
        queueMicrotask(() => callback(new Error("connection closed")))
      },
    }
    internals.connected = true
    writer.write([resultOf(5, { type: "Failing", id: "f" })])
    const drained = await Promise.race([writer.drain().then(() => "drained"), Bun.sleep(500).then(() => "still looping")])
    expect(drained).toBe("drained")
    expect(publishes).toBe(1)
    expect(internals.outbox.size).toBe(1)
    expect(writer.published).toBe(0)
    // Back in the outbox, where there was room: nothing dropped, nothing logged.
    expect(writer.status().detail).toBe("mqtt://127.0.0.1:1883 as pollect-unit, 1 topic(s) waiting")
    expect([lines, counts]).toEqual([[], {}])
    internals.connected = false
  })

  /** A stand-in MQTT.js client that holds each publish until the test settles it; end(true) fails what it holds, as MQTT.js does. */
  const standIn = (writer: MqttWriter) => {
    const held: { topic: string; payload: string; callback: (error?: Error) => void }[] = []
    const sent: string[] = []
    const settle = (error?: Error) => {
      for (const { topic, payload, callback } of held.splice(0)) {
        if (!error) sent.push(`${topic} ${payload}`)
        callback(error)
      }
    }
    const internals = writer as unknown as { client: unknown; connected: boolean }
    internals.client = {
      publish: (topic: string, payload: string, _options: unknown, callback: (error?: Error) => void) => {
        held.push({ topic, payload, callback })
      },
      endAsync: async () => {},
      end: (force?: boolean) => {
        if (force) settle(new Error("Connection closed"))
      },
      removeAllListeners: () => {},
      on: () => {},
    }
    internals.connected = true
    return { held, sent, settle, disconnect: () => (internals.connected = false) }
  }

  it("a failed batch that finds the outbox full: what it pushes out is counted and logged as 'the buffer is full'; the next flush sends it", async () => {
    const { writer, lines, counts } = recorded({ bufferSize: 2 })
    const client = standIn(writer)
    writer.write([resultOf(1, { type: "A", id: "a" }), resultOf(2, { type: "B", id: "b" })])
    const draining = writer.drain()
    expect(client.held.map(({ topic }) => topic)).toEqual(["pollect.a", "pollect.b"])
    // While the batch is out, newer values fill the outbox; then the batch fails and goes back.
    writer.write([resultOf(3, { type: "C", id: "c" }), resultOf(4, { type: "D", id: "d" })])
    expect([lines, counts]).toEqual([[], {}])
    client.settle(new Error("Connection closed"))
    await draining
    expect(counts).toEqual({ 'pollect_points_dropped_total{"writer":"Mqtt"}': 2 })
    expect(lines).toEqual([
      "warn mqtt://127.0.0.1:1883: dropped 1 message(s): the buffer is full (further drops are counted in pollect_points_dropped_total)",
      "debug mqtt://127.0.0.1:1883: dropped 1 message(s): the buffer is full",
    ])
    expect(writer.status().detail).toBe("mqtt://127.0.0.1:1883 as pollect-unit, 2 topic(s) waiting")
    expect(writer.published).toBe(0)
    // The next flush (a new connection, a write) sends the failed batch again.
    const again = writer.drain()
    client.settle()
    await again
    expect(client.sent).toEqual(["pollect.a 1", "pollect.b 2"])
    expect([writer.published, writer.unsent]).toEqual([2, 0])
    client.disconnect()
  })

  it("stop() right after a failed batch, still connected, sends it again before offline: nothing dropped", async () => {
    const { writer, lines, counts } = recorded()
    const client = standIn(writer)
    writer.write([resultOf(1, { type: "A", id: "a" })])
    const draining = writer.drain()
    client.settle(new Error("Connection closed"))
    await draining
    expect(writer.unsent).toBe(1)
    // From here on the broker confirms whatever is published.
    const confirming = setInterval(() => client.settle(), 5)
    try {
      await writer.stop(2000)
    } finally {
      clearInterval(confirming)
    }
    expect(client.sent).toEqual(["pollect.a 1", "pollect/pollect-unit/status offline"])
    expect([writer.unsent, writer.published, lines, counts]).toEqual([0, 2, [], {}])
  })

  it("a publish that fails after stop() (end(true) fails what is unacknowledged) is not put back: nothing waits, nothing more dropped", async () => {
    const { writer, lines, counts } = recorded()
    const client = standIn(writer)
    writer.write([resultOf(1, { type: "A", id: "a" })])
    void writer.drain()
    expect(client.held.map(({ topic }) => topic)).toEqual(["pollect.a"])
    await writer.stop(100)
    // The value and stop()'s offline were handed out and never confirmed; end(true) failed both.
    expect(client.held).toEqual([])
    expect(writer.status()).toEqual({ state: "stopped", detail: "mqtt://127.0.0.1:1883 as pollect-unit", lastError: undefined })
    expect([writer.unsent, writer.published, lines, counts]).toEqual([0, 0, [], {}])
  })
})

describe("Mqtt writer: target, status and client id (no broker)", () => {
  it("target: mqtt:// or mqtts:// with the default port 1883 / 8883 or the given one; an IPv6 host in brackets", () => {
    expect(recorded().writer.target).toBe("mqtt://127.0.0.1:1883")
    expect(recorded({ tls: true }).writer.target).toBe("mqtts://127.0.0.1:8883")
    expect(recorded({ tls: { verify: false }, port: 1 }).writer.target).toBe("mqtts://127.0.0.1:1")
    expect(recorded({ host: "broker.lan", port: 18830 }).writer.target).toBe("mqtt://broker.lan:18830")
    expect(recorded({ host: "::1" }).writer.target).toBe("mqtt://[::1]:1883")
  })

  it("the client id defaults to pollect-<hostname>; the status topic uses it as an object id", () => {
    const writer = makeWriter<MqttWriter>(MqttWriter, { type: "Mqtt" })
    expect(writer.clientId).toBe(`pollect-${hostname()}`)
    expect(recorded({ clientId: "Pollect.One two" }).writer.statusTopic).toBe("pollect/pollect_one_two/status")
  })

  it("status(): connecting, with the topics waiting; stopped after stop()", async () => {
    const { writer } = recorded()
    expect(writer.status()).toEqual({ state: "connecting", detail: "mqtt://127.0.0.1:1883 as pollect-unit", lastError: undefined })
    writer.write([loadAvg(1)])
    expect(writer.unsent).toBe(3)
    expect(writer.status()).toEqual({
      state: "connecting",
      detail: "mqtt://127.0.0.1:1883 as pollect-unit, 3 topic(s) waiting",
      lastError: undefined,
    })
    expect([writer.isConnected, writer.partial]).toEqual([false, true])
    await writer.stop()
    expect(writer.status().state).toBe("stopped")
    writer.write([resultOf(1, { type: "Late", id: "late" })])
    expect(writer.unsent).toBe(3)
  })

  it("connection errors in words: a certificate for another host, an untrusted one, a bare code, nothing", () => {
    const error = (message: string, code?: unknown) => Object.assign(new Error(message), { code })
    expect(describeMqttError(error("Hostname/IP does not match", "ERR_TLS_CERT_ALTNAME_INVALID"))).toEqual({
      text: "TLS: the broker's certificate is not for this host (Hostname/IP does not match): set host to a name or address the certificate holds",
      auth: false,
    })
    for (const code of ["CERT_HAS_EXPIRED", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"]) {
      expect(describeMqttError(error("x", code))).toEqual({
        text: "TLS: the broker's certificate is not trusted (x): give the CA that signed it in tls.ca",
        auth: false,
      })
    }
    expect(describeMqttError(error("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"))).toEqual({
      text: "connect ECONNREFUSED 127.0.0.1:1",
      auth: false,
    })
    expect(describeMqttError(error("", 3))).toEqual({ text: "3", auth: false })
    expect(describeMqttError(error(""))).toEqual({ text: "connection failed", auth: false })
    expect(describeMqttError(error("Connection refused: Server unavailable", 3)).auth).toBe(false)
  })
})

describe("Mqtt writer: what write() queues (no broker)", () => {
  it("one message per value, newest per topic; NaN and infinities are counted as invalid, not queued", () => {
    const { writer, counts } = recorded()
    const set = new ValueSet(["k"]).add(1, ["a"]).add(Number.NaN, ["b"]).add(Number.POSITIVE_INFINITY, ["c"])
    writer.write([resultOf(set, { type: "T", id: "t" })])
    expect(pending(writer)).toEqual([["pollect.t/k/a", "1"]])
    expect(counts).toEqual({ 'pollect_points_invalid_total{"writer":"Mqtt"}': 2 })
  })

  it("includePattern: only whole matches of the topic are queued", () => {
    const { writer } = recorded({ includePattern: ["pollect\\.loadavg/time/(short|long)", "pollect\\.loadavg/time/m"] })
    writer.write([loadAvg(1)])
    expect(pending(writer)).toEqual([
      ["pollect.loadavg/time/short", "1"],
      ["pollect.loadavg/time/long", "0.125"],
    ])
  })

  it("a value the source no longer reports: an empty retained payload deletes it; a failing source keeps its values", () => {
    const { writer } = recorded()
    writer.write([loadAvg(1)])
    pending(writer)
    writer.write([{ ...loadAvg(1), error: "down" }])
    expect(pending(writer)).toEqual([])
    writer.write([resultOf(new ValueSet(loadAvgMetrics.load).add(2, ["short"]), { type: "LoadAvg", id: "executors[0].sources[0]" })])
    expect(pending(writer)).toEqual([
      ["pollect.loadavg/time/short", "2"],
      ["pollect.loadavg/time/mid", ""],
      ["pollect.loadavg/time/long", ""],
    ])
    // Nothing at all: every value goes; the next empty result has nothing left to delete.
    writer.write([resultOf(new ValueSet(loadAvgMetrics.load), { type: "LoadAvg", id: "executors[0].sources[0]" })])
    expect(pending(writer)).toEqual([["pollect.loadavg/time/short", ""]])
    writer.write([resultOf(new ValueSet(loadAvgMetrics.load), { type: "LoadAvg", id: "executors[0].sources[0]" })])
    expect(pending(writer)).toEqual([])
    // Another source's values are its own.
    writer.write([resultOf(5, { type: "X", id: "x" })])
    writer.write([resultOf(6, { type: "Y", id: "y" })])
    expect(pending(writer)).toEqual([
      ["pollect.x", "5"],
      ["pollect.y", "6"],
    ])
  })

  it("retain: false sends no deletion for a vanished value (there is no retained one)", () => {
    const { writer } = recorded({ retain: false })
    writer.write([loadAvg(1)])
    pending(writer)
    writer.write([resultOf(new ValueSet(loadAvgMetrics.load).add(2, ["short"]), { type: "LoadAvg", id: "executors[0].sources[0]" })])
    expect(pending(writer)).toEqual([["pollect.loadavg/time/short", "2"]])
  })

  it("discovery: a config before each new value, once; a vanished value's entity is deleted and made again when it returns", () => {
    const { writer } = recorded({ hassAutodiscovery: true, discoveryPrefix: "ha" })
    const host = toObjectId(hostname())
    const config = (t: string) => `ha/sensor/pollect_${host}_pollect_loadavg_time_${t}/config`
    writer.write([loadAvg(1)])
    const first = pending(writer)
    expect(first.map(([topic]) => topic)).toEqual([
      config("short"),
      "pollect.loadavg/time/short",
      config("mid"),
      "pollect.loadavg/time/mid",
      config("long"),
      "pollect.loadavg/time/long",
    ])
    expect(JSON.parse(first[0]![1])).toMatchObject({
      name: "pollect LoadAvg short",
      state_topic: "pollect.loadavg/time/short",
      availability_topic: "pollect/pollect-unit/status",
      device: { name: hostname(), sw_version: version },
    })
    writer.write([loadAvg(2)])
    expect(pending(writer).map(([topic]) => topic)).toEqual([
      "pollect.loadavg/time/short",
      "pollect.loadavg/time/mid",
      "pollect.loadavg/time/long",
    ])
    const short = resultOf(new ValueSet(loadAvgMetrics.load).add(3, ["short"]), { type: "LoadAvg", id: "executors[0].sources[0]" })
    writer.write([short])
    expect(pending(writer)).toEqual([
      ["pollect.loadavg/time/short", "3"],
      ["pollect.loadavg/time/mid", ""],
      [config("mid"), ""],
      ["pollect.loadavg/time/long", ""],
      [config("long"), ""],
    ])
    writer.write([loadAvg(4)])
    expect(pending(writer).map(([topic]) => topic)).toEqual([
      "pollect.loadavg/time/short",
      config("mid"),
      "pollect.loadavg/time/mid",
      config("long"),
      "pollect.loadavg/time/long",
    ])
  })

  it("discovery names: collection, type, name, value name, label values, static labels; an empty value name is left out", () => {
    const { writer } = recorded({ hassAutodiscovery: true })
    const set = new ValueSet(["dev"], { unit: "bytes", kind: "counter" }).add(1, ["sda"], "read")
    const unnamed = new ValueSet([], { unit: "bytes", kind: "counter" }).add(2, [], "")
    const result = resultOf(set, { collection: "home", type: "Disk", name: "nas", labels: { site: "b" }, id: "d" })
    writer.write([{ ...result, sets: [...result.sets, unnamed] }])
    const configs = pending(writer)
      .filter(([topic]) => topic.endsWith("/config"))
      .map(([, payload]) => JSON.parse(payload))
    expect(configs.map((c) => [c.name, c.state_topic, c.unit_of_measurement, c.state_class])).toEqual([
      ["home Disk nas read sda b", "home.disk.nas/read/dev/sda/site/b", "B", "total_increasing"],
      ["home Disk nas b", "home.disk.nas//site/b", "B", "total_increasing"],
    ])
  })

  it("two topics with one object id: the second gets a hash suffix, both stay unique", () => {
    const { writer } = recorded({ hassAutodiscovery: true })
    // `a.b` and `a_b` differ as topics, not as object ids.
    writer.write([resultOf(new ValueSet(["k"]).add(1, ["a.b"]).add(2, ["a_b"]), { type: "T", id: "t" })])
    const ids = pending(writer)
      .filter(([topic]) => topic.endsWith("/config"))
      .map(([, payload]) => JSON.parse(payload).unique_id as string)
    const base = `pollect_${toObjectId(hostname())}_pollect_t_k_a_b`
    expect(ids).toEqual([base, `${base}_${shortHash("pollect.t/k/a_b")}`])
  })

  it("a full outbox drops the oldest topics, counts them, and logs the first drop only (at warn)", () => {
    const { writer, counts, lines } = recorded({ bufferSize: 2 })
    writer.write([loadAvg(1)])
    writer.write([resultOf(1, { type: "Other", id: "o" })])
    expect(counts).toEqual({ 'pollect_points_dropped_total{"writer":"Mqtt"}': 2 })
    expect(lines).toEqual([
      "warn mqtt://127.0.0.1:1883: dropped 1 message(s): the buffer is full (further drops are counted in pollect_points_dropped_total)",
      "debug mqtt://127.0.0.1:1883: dropped 1 message(s): the buffer is full",
    ])
  })

  it("a full outbox counts every kind of message it drops: values, configs and deletions", () => {
    const { writer, counts } = recorded({ bufferSize: 1, hassAutodiscovery: true })
    writer.write([loadAvg(1)]) // 3 configs and 3 values for one place: 5 dropped
    expect(counts).toEqual({ 'pollect_points_dropped_total{"writer":"Mqtt"}': 5 })
    writer.write([resultOf(new ValueSet(loadAvgMetrics.load).add(2, ["short"]), { type: "LoadAvg", id: "executors[0].sources[0]" })])
    // The new short value, then two deletions of a value and two of a config: 5 more
    expect(counts).toEqual({ 'pollect_points_dropped_total{"writer":"Mqtt"}': 10 })
  })

  it("stop() without start: what waits is dropped, counted and logged once", async () => {
    const { writer, counts, lines } = recorded()
    writer.write([loadAvg(1)])
    const began = Date.now()
    await writer.stop()
    await writer.stop()
    // No client: nothing to wait for (not the 5 s bound of stop()).
    expect(Date.now() - began).toBeLessThan(2000)
    expect(counts).toEqual({ 'pollect_points_dropped_total{"writer":"Mqtt"}': 3 })
    expect(lines).toEqual(["warn mqtt://127.0.0.1:1883: dropped 3 message(s): pollect stopped before mqtt://127.0.0.1:1883 took them"])
  })
})

describe("Mqtt writer against mosquitto: connect, publish, stop", () => {
  const TOOLS = ["mosquitto"]
  const made: { stop(): unknown }[] = []
  afterEach(async () => {
    for (const thing of made.splice(0).reverse()) await thing.stop()
  })
  const broker = async () => {
    const b = new Mosquitto()
    made.push(b)
    await b.start()
    return b
  }
  const subscribe = async (b: Mosquitto) => {
    const sub = await b.subscriber()
    made.push({ stop: () => sub.close() })
    return sub
  }
  const connected = async (writer: MqttWriter) => {
    for (let i = 0; i < 500 && !writer.isConnected; i++) await Bun.sleep(10)
    expect(writer.isConnected).toBe(true)
  }

  itWithTools(TOOLS, "online (retained) once connected, values retained, offline on stop(); status ok; counts", async () => {
    const b = await broker()
    const sub = await subscribe(b)
    const { writer, lines } = recorded({ port: b.port, clientId: "pollect-pub", qos: 1 })
    made.push(writer)
    writer.start()
    writer.start() // a second start is a no-op (one client)
    await connected(writer)
    expect(writer.status()).toEqual({ state: "ok", detail: `mqtt://127.0.0.1:${b.port} as pollect-pub`, lastError: undefined })
    writer.write([loadAvg(0.5)])
    await writer.drain()
    // drain() resolves once the broker acknowledged every message (QoS 1): "online" and the three values.
    expect(writer.published).toBe(4)
    await sub.until((m) => m.get("pollect.loadavg/time/long") === "0.125" && m.get("pollect/pollect-pub/status") === "online")
    expect(sub.all.filter((m) => m.topic.startsWith("pollect")).map((m) => [m.topic, m.payload, m.retain])).toEqual([
      ["pollect/pollect-pub/status", "online", false],
      ["pollect.loadavg/time/short", "0.5", false],
      ["pollect.loadavg/time/mid", "0.25", false],
      ["pollect.loadavg/time/long", "0.125", false],
    ])
    // Retained: a later subscriber gets them at once (with the retain flag).
    const late = await subscribe(b)
    await late.until((m) => m.size >= 4)
    expect(late.all.filter((m) => m.topic.startsWith("pollect")).every((m) => m.retain)).toBe(true)
    expect([writer.connections, writer.published, writer.unsent]).toEqual([1, 4, 0])
    await writer.stop()
    await sub.until((m) => m.get("pollect/pollect-pub/status") === "offline")
    expect([writer.published, writer.isConnected, writer.status().state]).toEqual([5, false, "stopped"])
    expect(lines.filter((line) => !line.startsWith("debug"))).toEqual([])
    // A start after stop connects nothing.
    writer.start()
    await Bun.sleep(200)
    expect(b.connectedClients()).not.toContain("pollect-pub")
  })

  itWithTools(TOOLS, "retain: false: values unretained, deletions and discovery configs still retained", async () => {
    const b = await broker()
    const { writer } = recorded({ port: b.port, retain: false, hassAutodiscovery: true, includePattern: ["pollect\\.t/k/.*"] })
    made.push(writer)
    writer.start()
    await connected(writer)
    writer.write([resultOf(new ValueSet(["k"]).add(1, ["a"]), { type: "T", id: "t" })])
    await writer.drain()
    const late = await subscribe(b)
    await late.until((m) => [...m.keys()].some((t) => t.endsWith("_pollect_t_k_a/config")))
    await Bun.sleep(100)
    expect([...late.messages.keys()].filter((t) => t.startsWith("pollect."))).toEqual([])
    // The value goes: its config is deleted with an empty retained message, so a new subscriber gets none.
    writer.write([resultOf(new ValueSet(["k"]), { type: "T", id: "t" })])
    await writer.drain()
    await late.until((m) => [...m].some(([t, payload]) => t.endsWith("_pollect_t_k_a/config") && payload === ""))
    const after = await subscribe(b)
    await Bun.sleep(200)
    expect([...after.messages.keys()].filter((t) => t.includes("pollect_t_k"))).toEqual([])
  })

  itWithTools(
    TOOLS,
    "Home Assistant's birth message (`<prefix>/status` online) sends the discovery configs again; other payloads do not",
    async () => {
      const b = await broker()
      const sub = await subscribe(b)
      const { writer, lines } = recorded({ port: b.port, hassAutodiscovery: true, discoveryPrefix: "ha" })
      made.push(writer)
      writer.start()
      await connected(writer)
      writer.write([resultOf(1, { type: "One", id: "one" })])
      const configs = () => sub.all.filter((m) => m.topic.startsWith("ha/sensor/")).length
      await sub.until(() => configs() === 1)
      await Bun.sleep(100) // the writer's subscription to ha/status is in place
      await sub.client.publishAsync("ha/status", "offline")
      await sub.client.publishAsync("homeassistant/status", "online")
      await Bun.sleep(200)
      expect(configs()).toBe(1)
      await sub.client.publishAsync("ha/status", "online")
      await sub.until(() => configs() === 2)
      expect(sub.all.filter((m) => m.topic === "pollect.one").length).toBe(1)
      expect(lines.filter((line) => line.includes("Home Assistant"))).toEqual([
        `debug mqtt://127.0.0.1:${b.port}: Home Assistant is online; sending 1 discovery config(s) again`,
      ])
    },
  )

  itWithTools(
    TOOLS,
    "a refused connection: one warning with the reason, status retrying; the values wait and arrive once it is up",
    async () => {
      const b = new Mosquitto() // not started: its port refuses
      made.push(b)
      const { writer, lines } = recorded({ port: b.port, bufferSize: 1 })
      made.push(writer)
      writer.start()
      writer.write([resultOf(6, { type: "Dropped", id: "d" }), resultOf(7, { type: "Waiting", id: "w" })])
      for (let i = 0; i < 300 && writer.status().state !== "retrying"; i++) await Bun.sleep(10)
      expect(writer.status()).toMatchObject({ state: "retrying", detail: expect.stringContaining(", 1 topic(s) waiting") })
      expect(writer.status().lastError).toContain("ECONNREFUSED")
      // The second refusal (after 0.5 s of backoff) is the same problem again: debug only.
      for (let i = 0; i < 500 && !lines.some((line) => line.startsWith("debug") && line.includes("ECONNREFUSED")); i++) await Bun.sleep(10)
      expect(lines.filter((line) => line.includes("ECONNREFUSED")).map((line) => line.split(" ")[0])).toEqual(["warn", "debug"])
      await b.start()
      const sub = await subscribe(b)
      await sub.until((m) => m.get("pollect.waiting") === "7")
      const loud = lines.filter((line) => !line.startsWith("debug"))
      // Two values for one place: the older is dropped at once.
      expect(loud[0]).toBe(
        `warn mqtt://127.0.0.1:${b.port}: dropped 1 message(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`,
      )
      expect(loud[1]).toStartWith(`warn mqtt://127.0.0.1:${b.port}: connect ECONNREFUSED`)
      expect(loud[1]).toEndWith("; keeping the newest value of up to 1 topics, retrying")
      expect(loud.slice(2)).toEqual([`info mqtt://127.0.0.1:${b.port}: connected again; sending 1 buffered topic(s), 1 dropped meanwhile`])
      expect(writer.status()).toEqual({ state: "ok", detail: `mqtt://127.0.0.1:${b.port} as pollect-unit`, lastError: undefined })
      // A connection resets the drop log: the next drop warns again.
      writer.write([resultOf(8, { type: "Burst1", id: "b1" }), resultOf(9, { type: "Burst2", id: "b2" })])
      expect(lines.filter((line) => !line.startsWith("debug")).slice(3)).toEqual([
        `warn mqtt://127.0.0.1:${b.port}: dropped 1 message(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`,
      ])
    },
  )

  itWithTools(TOOLS, "a connection lost while connected: one warning, a reconnect, the current values sent again", async () => {
    const b = await broker()
    const sub = await subscribe(b)
    const { writer, lines } = recorded({ port: b.port, retain: false })
    made.push(writer)
    writer.start()
    await connected(writer)
    writer.write([resultOf(1, { type: "Kept", id: "k" })])
    await sub.until((m) => m.get("pollect.kept") === "1")
    cutConnection(writer)
    for (let i = 0; i < 300 && writer.connections < 2; i++) await Bun.sleep(10)
    expect([writer.connections, writer.isConnected]).toEqual([2, true])
    // The broker published the last will for the connection that died unseen.
    await sub.until(() => sub.all.some((m) => m.topic === "pollect/pollect-unit/status" && m.payload === "offline"))
    await sub.until(() => sub.all.filter((m) => m.topic === "pollect.kept").length === 2)
    expect(lines.filter((line) => !line.startsWith("debug"))).toEqual([
      `warn mqtt://127.0.0.1:${b.port}: the connection was lost; reconnecting (0 topic(s) to send)`,
      // Counted before the current values are queued again.
      `info mqtt://127.0.0.1:${b.port}: connected again; sending 0 buffered topic(s)`,
    ])
  })

  itWithTools(
    TOOLS,
    "two writes in one tick, the first queuing nothing (a failing source): the second's value goes out at once",
    async () => {
      const b = await broker()
      const sub = await subscribe(b)
      const { writer } = recorded({ port: b.port })
      made.push(writer)
      writer.start()
      await connected(writer)
      // No drain(), no later write: the second write's own flush must send it (not join the first's empty run).
      writer.write([{ ...resultOf(1, { type: "Down", id: "d" }), error: "timeout" }])
      writer.write([resultOf(7, { type: "Next", id: "n" })])
      await sub.until((m) => m.get("pollect.next") === "7", 2000)
      expect([writer.unsent, [...sub.messages.keys()].filter((t) => t.startsWith("pollect."))]).toEqual([0, ["pollect.next"]])
    },
  )

  itWithTools(
    TOOLS,
    "an outage after a burst drop while connected: its first drop warns, 'dropped meanwhile' counts only the outage's",
    async () => {
      const b = await broker()
      const sub = await subscribe(b)
      const { writer, lines } = recorded({ port: b.port, retain: false, bufferSize: 1 })
      made.push(writer)
      writer.start()
      await connected(writer)
      // Two values for two places in one write, with room for one: a burst drop while connected.
      writer.write([resultOf(1, { type: "BurstA", id: "a" }), resultOf(2, { type: "BurstB", id: "b" })])
      await sub.until((m) => m.has("pollect.burstb"))
      cutConnection(writer)
      for (let i = 0; i < 300 && writer.isConnected; i++) await Bun.sleep(1)
      // Down now (the reconnect takes a backoff): the outage's first drop is a warning again.
      writer.write([resultOf(3, { type: "DownA", id: "c" }), resultOf(4, { type: "DownB", id: "d" })])
      for (let i = 0; i < 300 && writer.connections < 2; i++) await Bun.sleep(10)
      await sub.until((m) => m.get("pollect.downb") === "4")
      const full = `warn mqtt://127.0.0.1:${b.port}: dropped 1 message(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`
      expect(lines.filter((line) => !line.startsWith("debug"))).toEqual([
        full,
        `warn mqtt://127.0.0.1:${b.port}: the connection was lost; reconnecting (0 topic(s) to send)`,
        full,
        `info mqtt://127.0.0.1:${b.port}: connected again; sending 1 buffered topic(s), 1 dropped meanwhile`,
      ])
    },
  )

  itWithTools(TOOLS, "a refused login is an error (not a warning) naming user and password", async () => {
    const b = new Mosquitto({ users: { pollect: "right" } })
    made.push(b)
    await b.start()
    const { writer, lines } = recorded({ port: b.port, user: "pollect", password: "wrong" })
    made.push(writer)
    writer.start()
    for (let i = 0; i < 300 && !lines.length; i++) await Bun.sleep(10)
    expect(lines[0]).toStartWith(`error mqtt://127.0.0.1:${b.port}: the broker refused the login (`)
    expect(lines[0]).toContain("check user and password")
  })

  itWithTools(TOOLS, "stop() with the broker down tries once more within its bound, then counts what is left", async () => {
    const b = new Mosquitto()
    made.push(b)
    const { writer, counts, lines } = recorded({ port: b.port })
    writer.start()
    writer.write([loadAvg(1)])
    const began = Date.now()
    await writer.stop(3000)
    // The attempt is refused at once: stop() does not wait its bound for an offline it cannot send.
    expect(Date.now() - began).toBeLessThan(1500)
    expect(counts).toEqual({ 'pollect_points_dropped_total{"writer":"Mqtt"}': 3 })
    expect(lines.filter((line) => line.includes("dropped"))).toEqual([
      `warn mqtt://127.0.0.1:${b.port}: dropped 3 message(s): pollect stopped before mqtt://127.0.0.1:${b.port} took them`,
    ])
    expect(writer.status().state).toBe("stopped")
  })

  itWithTools(TOOLS, "stop() while the retry loop backs off connects once more at once and delivers what waits", async () => {
    const b = new Mosquitto()
    made.push(b)
    const { writer, counts } = recorded({ port: b.port })
    writer.start()
    writer.write([resultOf(3, { type: "Last", id: "l" })])
    for (let i = 0; i < 300 && writer.status().state !== "retrying"; i++) await Bun.sleep(10)
    await b.start()
    const sub = await subscribe(b)
    await writer.stop(3000)
    await sub.until((m) => m.get("pollect.last") === "3" && m.get("pollect/pollect-unit/status") === "offline")
    expect(counts).toEqual({})
  })

  itWithTools(
    ["mosquitto", "openssl"],
    "TLS: the CA from tls.ca (relative to the config) is trusted; verify: false takes any; tls: true checks",
    async () => {
      const dir = tempDir("pollect-mqtt-unit-tls-")
      const { cert, key } = selfSignedCert(dir)
      const b = new Mosquitto({ tls: { cert, key } })
      made.push(b)
      await b.start()
      const tls = async (config: Record<string, unknown>) => {
        const { writer, lines } = recorded({ port: b.port, ...config }, dir)
        made.push(writer)
        writer.start()
        for (let i = 0; i < 500 && !writer.isConnected && !lines.length; i++) await Bun.sleep(10)
        return { connected: writer.isConnected, lines, target: writer.target }
      }
      expect(await tls({ tls: { ca: "cert.pem" }, clientId: "tls-ca" })).toEqual({
        connected: true,
        lines: [],
        target: `mqtts://127.0.0.1:${b.port}`,
      })
      expect((await tls({ tls: { verify: false }, clientId: "tls-any" })).connected).toBe(true)
      const checked = await tls({ tls: true, clientId: "tls-checked" })
      expect(checked.connected).toBe(false)
      expect(checked.lines[0]).toContain("TLS: the broker's certificate is not trusted")
    },
  )

  itWithTools(
    ["mosquitto", "openssl"],
    "TLS with a client certificate: a broker with require_certificate takes tls.cert + tls.key and refuses a client without",
    async () => {
      const server = selfSignedCert(tempDir("pollect-mqtt-unit-server-"))
      const dir = tempDir("pollect-mqtt-unit-client-")
      const own = selfSignedCert(dir)
      // The broker trusts the client's self-signed certificate as its own CA.
      const port = freePort()
      const conf = join(dir, "mosquitto.conf")
      writeFileSync(
        conf,
        [
          ...(process.getuid?.() === 0 ? ["user root"] : []),
          `listener ${port} 127.0.0.1`,
          "persistence false",
          "allow_anonymous true",
          `cafile ${own.cert}`,
          `certfile ${server.cert}`,
          `keyfile ${server.key}`,
          "require_certificate true",
          "",
        ].join("\n"),
      )
      const proc = Bun.spawn([findTool("mosquitto") ?? "mosquitto", "-c", conf], { stdin: "ignore", stdout: "ignore", stderr: "ignore" })
      made.push({ stop: () => stopProcess(proc, 3000) })
      const tls = async (config: Record<string, unknown>, clientId: string) => {
        const { writer, lines } = recorded({ port, clientId, ...config }, dir)
        made.push(writer)
        writer.start()
        for (let i = 0; i < 500 && !writer.isConnected && !lines.length; i++) await Bun.sleep(10)
        return writer.isConnected
      }
      // The listener is up once a client with the certificate gets in (mosquitto needs a moment).
      let up = false
      for (let i = 0; i < 20 && !up; i++) up = await tls({ tls: { ca: server.cert, cert: "cert.pem", key: "key.pem" } }, `cert-${i}`)
      expect(up).toBe(true)
      expect(await tls({ tls: { ca: server.cert } }, "no-cert")).toBe(false)
    },
  )

  itWithTools(
    TOOLS,
    "a broker that hangs: QoS 1 sends cut by the keepalive timeout are not counted as published; after the reconnect all arrive",
    async () => {
      const b = await broker()
      const sub = await subscribe(b)
      const { writer } = recorded({ port: b.port, qos: 1 })
      made.push(writer)
      writer.start()
      // A short keepalive, so the hang is noticed within 2 s (the writer's own is 30 s).
      ;(writer as unknown as { client: { options: { keepalive: number } } }).client.options.keepalive = 1
      await connected(writer)
      writer.write([resultOf(1, { type: "A", id: "a" })])
      await writer.drain()
      await sub.until((m) => m.get("pollect.a") === "1")
      const published = writer.published // online and pollect.a
      const pid = (b as unknown as { process: { pid: number } }).process.pid
      process.kill(pid, "SIGSTOP")
      try {
        // A value that vanished (its deletion) and one that is new: neither is acknowledged.
        writer.write([resultOf(new ValueSet(), { type: "A", id: "a" }), resultOf(2, { type: "B", id: "b" })])
        for (let i = 0; i < 500 && writer.status().state !== "retrying"; i++) await Bun.sleep(10)
        // MQTT.js failed the two unacknowledged sends: they wait in the outbox for the next connection.
        expect(writer.status()).toEqual({
          state: "retrying",
          detail: `mqtt://127.0.0.1:${b.port} as pollect-unit, 2 topic(s) waiting`,
          lastError: "Keepalive timeout",
        })
        expect(writer.published).toBe(published)
      } finally {
        process.kill(pid, "SIGCONT")
      }
      await sub.until((m) => m.get("pollect.b") === "2" && m.get("pollect.a") === "")
      await connected(writer)
      writer.write([resultOf(3, { type: "C", id: "c" })])
      await sub.until((m) => m.get("pollect.c") === "3", 3000)
      await writer.stop(1000)
    },
  )

  itWithTools(TOOLS, "the connection as the broker logs it: a clean session, keepalive 30 s", async () => {
    const b = await broker()
    const { writer } = recorded({ port: b.port, clientId: "pollect-clean" })
    made.push(writer)
    writer.start()
    await connected(writer)
    for (let i = 0; i < 100 && !b.log().includes(" as pollect-clean "); i++) await Bun.sleep(10)
    expect(b.log()).toContain(" as pollect-clean (p2, c1, k30).")
  })

  itWithTools(TOOLS, "online, the last will and the offline of stop() are published retained (as the broker forwards them)", async () => {
    const b = await broker()
    // MQTT 5 with retain-as-published: the retain flag of each message as the writer (or its will) set it.
    const rap = await mqtt.connectAsync(b.url, { protocolVersion: 5, clientId: "test-rap" })
    made.push({ stop: () => rap.endAsync(true) })
    const got: string[] = []
    rap.on("message", (topic, payload, packet) => got.push(`${topic} ${payload} ${packet.retain}`))
    await rap.subscribeAsync("pollect/#", { qos: 1, rap: true })
    const { writer } = recorded({ port: b.port, clientId: "pollect-will" })
    made.push(writer)
    writer.start()
    await connected(writer)
    cutConnection(writer)
    for (let i = 0; i < 300 && writer.connections < 2; i++) await Bun.sleep(10)
    await connected(writer)
    for (let i = 0; i < 300 && got.length < 3; i++) await Bun.sleep(10)
    await writer.stop()
    for (let i = 0; i < 300 && got.length < 4; i++) await Bun.sleep(10)
    expect(got).toEqual([
      "pollect/pollect-will/status online true",
      "pollect/pollect-will/status offline true",
      "pollect/pollect-will/status online true",
      "pollect/pollect-will/status offline true",
    ])
    // stop() ends with a DISCONNECT while connected (the broker logs "disconnected", not "closed its connection").
    for (let i = 0; i < 100 && !b.log().includes("Client pollect-will disconnected."); i++) await Bun.sleep(10)
    expect(b.log()).toContain("Client pollect-will disconnected.")
  })

  itWithTools(TOOLS, "a connection lost with an error: the error is the problem (one warning), no second 'lost' line", async () => {
    const b = await broker()
    const { writer, lines } = recorded({ port: b.port })
    made.push(writer)
    writer.start()
    await connected(writer)
    cutConnection(writer, Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))
    for (let i = 0; i < 300 && writer.connections < 2; i++) await Bun.sleep(10)
    await connected(writer)
    expect(lines.filter((line) => !line.startsWith("debug"))).toEqual([
      `warn mqtt://127.0.0.1:${b.port}: read ECONNRESET; keeping the newest value of up to 10000 topics, retrying`,
      `info mqtt://127.0.0.1:${b.port}: connected again; sending 0 buffered topic(s)`,
    ])
  })

  itWithTools(TOOLS, "a connection lost without an error: status() says 'connection lost' while it retries", async () => {
    const b = await broker()
    const { writer } = recorded({ port: b.port })
    made.push(writer)
    writer.start()
    await connected(writer)
    await b.stop()
    for (let i = 0; i < 300 && writer.status().state !== "retrying"; i++) await Bun.sleep(10)
    expect(writer.status()).toMatchObject({ state: "retrying", lastError: "connection lost" })
  })

  itWithTools(TOOLS, "after stop() a late error of the closed client is swallowed (no unhandled 'error' event)", async () => {
    const b = await broker()
    const { writer, lines } = recorded({ port: b.port })
    writer.start()
    await connected(writer)
    const client = (writer as unknown as { client: { emit(event: string, error: Error): boolean } }).client
    await writer.stop()
    expect(() => client.emit("error", new Error("late"))).not.toThrow()
    expect(lines.filter((line) => line.includes("late"))).toEqual([])
  })
})

import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { ValueSet } from "../../core/value-set.ts"
import { metrics as loadAvgMetrics } from "../../sources/load-avg/metrics.ts"
import { resultOf } from "../../../test/helpers/context.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { Mosquitto } from "../../../test/helpers/mosquitto.ts"
import { IN_CI, missingTools } from "../../../test/helpers/tools.ts"
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

/**
 * The Mqtt writer against a real Debian mosquitto on loopback (anonymous, with a password file,
 * with TLS), checked by a second MQTT.js client subscribed to what arrived.
 */
import { afterEach, describe, expect } from "bun:test"
import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { ValueSet } from "../../core/value-set.ts"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { version } from "../../api.ts"
import { metrics as loadAvgMetrics } from "../../sources/load-avg/metrics.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { Mosquitto, type Subscriber } from "../../../test/helpers/mosquitto.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { OBJECT_ID } from "./discovery.ts"
import { MqttWriter } from "./index.ts"

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function broker(options: ConstructorParameters<typeof Mosquitto>[0] = {}): Promise<Mosquitto> {
  const b = new Mosquitto(options)
  cleanups.push(() => b.stop())
  await b.start()
  return b
}

async function subscribe(b: Mosquitto, topics?: string[], extra = {}): Promise<Subscriber> {
  const sub = await b.subscriber(topics, extra)
  cleanups.push(() => sub.close())
  return sub
}

interface Made {
  writer: MqttWriter
  lines: string[]
  metrics: SelfMetrics
}

function writer(config: Record<string, unknown>, configDir = process.cwd()): Made {
  const lines: string[] = []
  const metrics = new SelfMetrics()
  const w = makeWriter<MqttWriter>(
    MqttWriter,
    { type: "Mqtt", ...config },
    {
      selfMetrics: metrics,
      configDir,
      log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    },
  )
  cleanups.push(() => w.stop())
  return { writer: w, lines, metrics }
}

const dropped = (metrics: SelfMetrics) =>
  metrics
    .snapshot()
    .counters.get("pollect_points_dropped_total")
    ?.get(JSON.stringify({ writer: "Mqtt" })) ?? 0
const warnings = (lines: string[]) => lines.filter((line) => / (WARN|ERROR) /.test(line))

const loadAvg = (short: number, mid = 0.25, long = 0.125) =>
  resultOf(new ValueSet(loadAvgMetrics.load).add(short, ["short"]).add(mid, ["mid"]).add(long, ["long"]), {
    type: "LoadAvg",
    id: "executors[0].sources[0]",
  })

const TOOLS = ["mosquitto"]

describe("Mqtt against mosquitto", () => {
  itWithTools(TOOLS, "topics and payloads exactly as pollect 1.2's, retained (a later subscriber gets them)", async () => {
    const b = await broker()
    const { writer: w } = writer({ port: b.port })
    await w.start()
    const labelled = resultOf(new ValueSet(["interface"]).add(1234, ["eth0"], "total_bytes_sent"), {
      type: "Interface",
      id: "executors[0].sources[1]",
      labels: { site: "Berlin" },
    })
    w.write([loadAvg(0.5), labelled])
    const late = await (async () => {
      await Bun.sleep(50)
      const probe = await subscribe(b)
      await probe.until((m) => m.size >= 5)
      return probe
    })()
    expect(Object.fromEntries([...late.messages].filter(([topic]) => topic.startsWith("pollect.")))).toEqual({
      "pollect.loadavg/time/short": "0.5",
      "pollect.loadavg/time/mid": "0.25",
      "pollect.loadavg/time/long": "0.125",
      "pollect.interface/total_bytes_sent/interface/eth0/site/berlin": "1234",
    })
    // Only retained messages reach a client that subscribes afterwards.
    expect(late.all.filter((m) => m.topic.startsWith("pollect.")).every((m) => m.retain)).toBe(true)
    expect(late.messages.get(w.statusTopic)).toBe("online")
    await w.stop()
    await late.until((m) => m.get(w.statusTopic) === "offline")
  })

  itWithTools(
    TOOLS,
    "side by side with pollect 1.2's MqttWriter: the same inputs give exactly its recorded topics and payloads",
    async () => {
      // testdata/python-1.2/topics.txt: what 1.2's own code published (record.py) for these sets.
      const recorded = readFileSync(join(import.meta.dir, "testdata/python-1.2/topics.txt"), "utf8")
        .trim()
        .split("\n")
      const b = await broker()
      const sub = await subscribe(b)
      const { writer: w } = writer({
        port: b.port,
        includePattern: ["pollect\\.loadavg/time/(short|mid)", "home\\..+", "pollect\\.http.*"],
      })
      await w.start()
      const iface = new ValueSet(["interface"]).add(1234, ["eth0"], "total_bytes_sent")
      w.write([
        loadAvg(0.5),
        resultOf(iface, { collection: "Home", type: "Interface", name: "Lan", labels: { site: "Berlin" }, id: "i" }),
        resultOf(12.5, { type: "Http", name: "local", id: "h" }),
      ])
      await sub.until((m) => m.has("pollect.http.local"))
      await Bun.sleep(200)
      const ours = sub.all.filter((m) => !m.topic.startsWith("pollect/")).map((m) => `${m.topic} ${m.payload}`)
      expect(ours).toEqual(recorded)
    },
  )

  itWithTools(TOOLS, "retain: false publishes values unretained; discovery configs stay retained", async () => {
    const b = await broker()
    const live = await subscribe(b)
    const { writer: w } = writer({ port: b.port, retain: false, hassAutodiscovery: true, includePattern: ["pollect\\.loadavg/time/short"] })
    await w.start()
    w.write([loadAvg(3)])
    await live.until((m) => m.get("pollect.loadavg/time/short") === "3")
    const late = await subscribe(b)
    await late.until((m) => [...m.keys()].some((t) => t.endsWith("_pollect_loadavg_time_short/config")))
    await Bun.sleep(200)
    expect(late.messages.has("pollect.loadavg/time/short")).toBe(false)
  })

  itWithTools(TOOLS, "includePattern: a whole match on the lower-cased topic", async () => {
    const b = await broker()
    const sub = await subscribe(b)
    const { writer: w } = writer({ port: b.port, includePattern: ["pollect\\.loadavg/time/(short|long)", "pollect\\.loadavg/time/m"] })
    await w.start()
    w.write([loadAvg(1)])
    await sub.until((m) => m.has("pollect.loadavg/time/long"))
    await Bun.sleep(200)
    // `.../m` matches only a prefix of `.../mid`: not a whole match, not sent.
    expect([...sub.messages.keys()].filter((t) => t.startsWith("pollect.")).sort()).toEqual([
      "pollect.loadavg/time/long",
      "pollect.loadavg/time/short",
    ])
  })

  itWithTools(TOOLS, "discovery configs match Home Assistant's MQTT sensor schema, field by field", async () => {
    const b = await broker()
    const sub = await subscribe(b)
    const { writer: w } = writer({ port: b.port, hassAutodiscovery: true, clientId: "pollect-disc" })
    await w.start()
    const temps = new ValueSet(["device", "name"], { unit: "celsius", kind: "gauge" }).add(41.5, ["coretemp-isa-0000", "Package id 0"])
    const bytes = new ValueSet(["dev"], { unit: "bytes", kind: "counter" }).add(1e12, ["nvme0"], "data_read")
    w.write([resultOf(temps, { type: "Sensors", id: "s0" }), resultOf(bytes, { type: "SmartCtl", id: "s1" }), loadAvg(0.5)])
    const stateTopic = "pollect.sensors/device/coretemp-isa-0000/name/package id 0"
    const host = hostname()
    const hostId = host.toLowerCase().replace(/[^a-z0-9_-]+/g, "_")
    const objectId = `pollect_${hostId}_pollect_sensors_device_coretemp-isa-0000_name_package_id_0`
    const configTopic = `homeassistant/sensor/${objectId}/config`
    await sub.until((m) => m.has(configTopic) && m.has(stateTopic) && [...m.keys()].filter((t) => t.endsWith("/config")).length === 5)

    // The discovery topic: `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`; "The
    // `<node_id>` and `<object_id>` must match `[a-zA-Z0-9_-]+`" (home-assistant.io/integrations/mqtt).
    for (const topic of [...sub.messages.keys()].filter((t) => t.endsWith("/config"))) {
      const [prefix, component, id, last, ...rest] = topic.split("/")
      expect({ prefix, component, last, rest, idOk: OBJECT_ID.test(id!) }).toEqual({
        prefix: "homeassistant",
        component: "sensor",
        last: "config",
        rest: [],
        idOk: true,
      })
    }
    const config = JSON.parse(sub.messages.get(configTopic)!)
    // The keys, in the words of home-assistant.io/integrations/sensor.mqtt ("Configuration Variables"):
    expect(config).toEqual({
      // name: "The name of the MQTT sensor."
      name: "pollect Sensors coretemp-isa-0000 Package id 0",
      // unique_id: "An ID that uniquely identifies this sensor. If two sensors have the same unique ID, Home Assistant will raise an exception. Required when used with device-based discovery."
      unique_id: objectId,
      // default_entity_id: "Use default_entity_id instead of name for automatic generation of the entity ID. For example, sensor.foobar." (replaces the deprecated object_id)
      default_entity_id: `sensor.${objectId}`,
      // state_topic (Required): "The MQTT topic subscribed to receive sensor values."
      state_topic: stateTopic,
      // unit_of_measurement: "Defines the units of measurement of the sensor, if any."
      unit_of_measurement: "°C",
      // device_class: "The type/class of the sensor to set the icon in the frontend."
      device_class: "temperature",
      // state_class: "The state_class of the sensor." (measurement, total, total_increasing)
      state_class: "measurement",
      // availability_topic: "The MQTT topic subscribed to receive availability (online/offline) updates."
      availability_topic: "pollect/pollect-disc/status",
      // payload_available (default online) / payload_not_available (default offline)
      payload_available: "online",
      payload_not_available: "offline",
      // device: "Information about the device this sensor is a part of to tie it into the device registry. Only works when unique_id is set."
      device: {
        // identifiers: "A list of IDs that uniquely identify the device."
        identifiers: [`pollect_${hostId}`],
        // name: "The name of the device."
        name: host,
        // manufacturer / model: "The manufacturer of the device." / "The model of the device."
        manufacturer: "pollect",
        model: "pollect",
        // sw_version: "The firmware version of the device."
        sw_version: version,
      },
      // origin (discovery): "name" is required, "sw_version" optional.
      origin: { name: "pollect", sw_version: version },
    })
    // The state topic holds the value, so the entity gets a state (1.2's pointed at the value name).
    expect(sub.messages.get(config.state_topic)).toBe("41.5")
    expect(sub.messages.get(config.availability_topic)).toBe("online")

    const counterTopic = `homeassistant/sensor/pollect_${hostId}_pollect_smartctl_data_read_dev_nvme0/config`
    const counter = JSON.parse(sub.messages.get(counterTopic)!)
    expect({
      unit: counter.unit_of_measurement,
      cls: counter.device_class,
      state: counter.state_class,
      topic: counter.state_topic,
    }).toEqual({
      unit: "B",
      cls: "data_size",
      state: "total_increasing",
      topic: "pollect.smartctl/data_read/dev/nvme0",
    })
    expect(sub.messages.get(counter.state_topic)).toBe("1000000000000")
    const load = JSON.parse(sub.messages.get(`homeassistant/sensor/pollect_${hostId}_pollect_loadavg_time_short/config`)!)
    expect([load.state_topic, load.unit_of_measurement, load.device_class, load.state_class]).toEqual([
      "pollect.loadavg/time/short",
      undefined,
      undefined,
      "measurement",
    ])

    // A value the source no longer reports: its entity (empty retained config) and its state are removed.
    w.write([resultOf(new ValueSet(loadAvgMetrics.load).add(1, ["short"]), { type: "LoadAvg", id: "executors[0].sources[0]" })])
    const midConfig = `homeassistant/sensor/pollect_${hostId}_pollect_loadavg_time_mid/config`
    await sub.until((m) => m.get(midConfig) === "" && m.get("pollect.loadavg/time/mid") === "")
    const after = await subscribe(b)
    await after.until((m) => m.has("pollect.loadavg/time/short"))
    await Bun.sleep(200)
    expect([
      after.messages.has(midConfig),
      after.messages.has("pollect.loadavg/time/mid"),
      after.messages.get("pollect.loadavg/time/short"),
    ]).toEqual([false, false, "1"])
    // A failing source is no disappearance.
    w.write([{ ...resultOf(null, { type: "Sensors", id: "s0" }), error: "down" }])
    await Bun.sleep(200)
    expect(sub.messages.get(configTopic)).not.toBe("")
  })

  itWithTools(
    TOOLS,
    "a broker restart in the middle: no crash, one client, values and discovery current afterwards; Home Assistant's birth message re-sends discovery",
    async () => {
      const b = await broker()
      const { writer: w, lines } = writer({ port: b.port, hassAutodiscovery: true, clientId: "pollect-restart" })
      await w.start()
      w.write([loadAvg(0.5)])
      const first = await subscribe(b)
      await first.until((m) => m.get("pollect.loadavg/time/short") === "0.5" && [...m.keys()].some((t) => t.endsWith("_short/config")))
      await first.close()
      expect(w.status().state).toBe("ok")
      await b.restart(300) // no persistence: every retained message is gone
      w.write([loadAvg(0.75)]) // while it reconnects
      await Bun.sleep(1500)
      const sub = await subscribe(b)
      await sub.until(
        (m) =>
          m.get("pollect.loadavg/time/short") === "0.75" &&
          m.get("pollect.loadavg/time/mid") === "0.25" &&
          [...m.keys()].filter((t) => t.startsWith("homeassistant/sensor/")).length === 3 &&
          m.get(w.statusTopic) === "online",
      )
      expect(w.isConnected).toBe(true)
      expect(w.status()).toMatchObject({ state: "ok", detail: expect.stringContaining("as pollect-restart") })
      expect(b.connectedClients().filter((id) => id === "pollect-restart")).toEqual(["pollect-restart"])
      w.write([loadAvg(0.9)])
      await sub.until((m) => m.get("pollect.loadavg/time/short") === "0.9")
      // The outage is one warning and one recovery line, not a line per attempt.
      expect(warnings(lines).length).toBeLessThanOrEqual(2)
      expect(lines.some((line) => line.includes("connected again"))).toBe(true)

      // Home Assistant restarts and announces itself: the configs come again (not retained by it).
      const configs = () => sub.all.filter((m) => m.topic.endsWith("_short/config")).length
      const before = configs()
      await sub.client.publishAsync("homeassistant/status", "online")
      await sub.until(() => configs() > before)
    },
    30_000,
  )

  itWithTools(TOOLS, "two pollect writers with their own client ids on one broker both deliver and stay connected", async () => {
    const b = await broker()
    const sub = await subscribe(b)
    const one = writer({ port: b.port, clientId: "pollect-one" }).writer
    const two = writer({ port: b.port, clientId: "pollect-two" }).writer
    await one.start()
    await two.start()
    for (let i = 0; i < 3; i++) {
      one.write([resultOf(i, { collection: "one", type: "Http" })])
      two.write([resultOf(i, { collection: "two", type: "Http" })])
      await Bun.sleep(100)
    }
    await sub.until((m) => m.get("one.http") === "2" && m.get("two.http") === "2")
    expect([one.isConnected, two.isConnected, one.connections, two.connections]).toEqual([true, true, 1, 1])
    expect(
      b
        .connectedClients()
        .filter((id) => id.startsWith("pollect-"))
        .sort(),
    ).toEqual(["pollect-one", "pollect-two"])
    expect([sub.messages.get("pollect/pollect-one/status"), sub.messages.get("pollect/pollect-two/status")]).toEqual(["online", "online"])
  })

  itWithTools(
    TOOLS,
    "a password file: the right password delivers; a wrong one is ONE clear error line, no reconnect storm in the log",
    async () => {
      const b = await broker({ users: { pollect: "s3cret-pw" } })
      const sub = await subscribe(b, ["#"], { username: "pollect", password: "s3cret-pw" })
      const good = writer({ port: b.port, user: "pollect", password: "s3cret-pw", clientId: "pollect-good" }).writer
      await good.start()
      good.write([loadAvg(2)])
      await sub.until((m) => m.get("pollect.loadavg/time/short") === "2")

      const { writer: bad, lines } = writer({ port: b.port, user: "pollect", password: "wrong-pw", clientId: "pollect-bad" })
      await bad.start()
      bad.write([resultOf(7, { type: "Bad" })])
      await Bun.sleep(4000) // 0.5 + 1 + 2 s of backoff: four attempts
      const loud = warnings(lines)
      expect(loud).toHaveLength(1)
      expect(loud[0]).toContain(" ERROR ")
      expect(loud[0]).toContain(
        `mqtt://127.0.0.1:${b.port}: the broker refused the login (Connection refused: Not authorized): check user and password`,
      )
      expect(lines.filter((line) => line.includes("refused the login")).length).toBeGreaterThanOrEqual(3) // the repeats, at debug
      expect(lines.join("\n")).not.toContain("wrong-pw")
      expect(sub.messages.has("pollect.bad")).toBe(false)
      // The status page says why it does not deliver.
      expect(bad.status()).toMatchObject({ state: "retrying", lastError: expect.stringContaining("refused the login") })
      // The refused client never pushed the good one off.
      expect(good.isConnected).toBe(true)
    },
    20_000,
  )

  itWithTools(
    TOOLS,
    "start() returns at once with the broker down; the bounded outbox keeps the newest value per topic and counts drops",
    async () => {
      const b = new Mosquitto() // not started yet: its port refuses
      cleanups.push(() => b.stop())
      const { writer: w, lines, metrics } = writer({ port: b.port, bufferSize: 3, clientId: "pollect-buffer" })
      const started = Date.now()
      await w.start()
      expect(Date.now() - started).toBeLessThan(500)
      w.write([resultOf(1, { type: "A", id: "a" }), resultOf(1, { type: "B", id: "b" })])
      w.write([resultOf(2, { type: "A", id: "a" })]) // newer value for a topic that waits: replaces it, no drop
      expect([w.unsent, dropped(metrics)]).toEqual([2, 0])
      w.write([resultOf(1, { type: "C", id: "c" }), resultOf(1, { type: "D", id: "d" }), resultOf(1, { type: "E", id: "e" })])
      // Five topics for three places: the two oldest (B, then A) are dropped.
      expect([w.unsent, dropped(metrics)]).toEqual([3, 2])
      await Bun.sleep(1200) // a few refused attempts
      expect(warnings(lines).filter((line) => line.includes("ECONNREFUSED") || line.includes("connect")).length).toBeLessThanOrEqual(1)
      expect(warnings(lines).filter((line) => line.includes("dropped")).length).toBe(1)
      await b.start()
      const sub = await subscribe(b)
      const values = (m: Map<string, string>) => Object.fromEntries([...m].filter(([t]) => t.startsWith("pollect.")))
      await sub.until((m) => Object.keys(values(m)).length === 3)
      await Bun.sleep(200)
      expect(values(sub.messages)).toEqual({ "pollect.c": "1", "pollect.d": "1", "pollect.e": "1" })
      expect(w.unsent).toBe(0)
      expect(lines.some((line) => line.includes("connected again") && line.includes("2 dropped meanwhile"))).toBe(true)
    },
    40_000,
  )

  itWithTools(
    TOOLS,
    "a connection that dies unseen: the broker publishes the last will `offline`; the writer comes back `online`",
    async () => {
      const b = await broker()
      const sub = await subscribe(b)
      const { writer: w } = writer({ port: b.port, clientId: "pollect-will" })
      await w.start()
      await sub.until((m) => m.get("pollect/pollect-will/status") === "online")
      // Cut the TCP connection under MQTT.js, without a DISCONNECT packet (as a crash or a cable would).
      ;(w as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy()
      await sub.until(() => sub.all.some((m) => m.topic === "pollect/pollect-will/status" && m.payload === "offline"))
      await sub.until((m) => m.get("pollect/pollect-will/status") === "online")
      expect(w.connections).toBe(2)
    },
  )

  itWithTools(TOOLS, "stop() with the broker down returns within its bound and counts what it could not send", async () => {
    const b = new Mosquitto()
    const { writer: w, metrics } = writer({ port: b.port, clientId: "pollect-stop" })
    await w.start()
    w.write([loadAvg(1)])
    const started = Date.now()
    await w.stop(1000)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(dropped(metrics)).toBe(3)
  })

  itWithTools(
    ["mosquitto", "openssl"],
    "TLS: verified by default (an unknown CA is one clear line), delivers with the CA given",
    async () => {
      const dir = tempDir("pollect-mqtt-tls-")
      const { cert, key } = selfSignedCert(dir)
      const b = await broker({ tls: { cert, key } })
      const sub = await subscribe(b, ["#"], { ca: await Bun.file(cert).text(), rejectUnauthorized: true })

      const { writer: unverified, lines } = writer({ port: b.port, tls: true, clientId: "pollect-tls-noca" })
      await unverified.start()
      unverified.write([resultOf(1, { type: "Untrusted" })])
      await Bun.sleep(2000)
      const loud = warnings(lines)
      expect(loud).toHaveLength(1)
      expect(loud[0]).toContain(`mqtts://127.0.0.1:${b.port}: TLS: the broker's certificate is not trusted (`)
      expect(loud[0]).toContain("give the CA that signed it in tls.ca")
      expect(unverified.isConnected).toBe(false)

      // `ca` relative to the config's folder.
      const { writer: trusted } = writer({ port: b.port, tls: { ca: "cert.pem" }, clientId: "pollect-tls" }, dir)
      await trusted.start()
      trusted.write([resultOf(5, { type: "Trusted" })])
      await sub.until((m) => m.get("pollect.trusted") === "5")
      expect(sub.messages.has("pollect.untrusted")).toBe(false)
    },
    20_000,
  )
})

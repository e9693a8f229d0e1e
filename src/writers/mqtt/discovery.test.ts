import { describe, expect, it } from "bun:test"
import { discoveryEntry, HASS_UNITS, hassMeasure, OBJECT_ID, shortHash, toObjectId } from "./discovery.ts"

describe("Mqtt discovery: object ids", () => {
  it("lower-cased, each run of other characters one _, an empty text _", () => {
    expect(toObjectId("Pollect.LoadAvg/time/short")).toBe("pollect_loadavg_time_short")
    expect(toObjectId("a..//b  c")).toBe("a_b_c")
    expect(toObjectId("A-b_C9")).toBe("a-b_c9")
    expect(toObjectId("ä ö")).toBe("_")
    expect(toObjectId(".x.")).toBe("_x_")
    expect(toObjectId("")).toBe("_")
  })

  it("OBJECT_ID takes whole strings of [a-zA-Z0-9_-] only", () => {
    for (const ok of ["a", "A-z_0", "-", "_"]) expect(OBJECT_ID.test(ok)).toBe(true)
    for (const bad of ["", "a.b", "a b", " a", "a/", "ä"]) expect(OBJECT_ID.test(bad)).toBe(false)
  })

  it("shortHash is 32-bit FNV-1a over UTF-16 code units, 8 hex digits zero-padded", () => {
    expect(shortHash("")).toBe("811c9dc5")
    expect(shortHash("a")).toBe("e40c292c")
    expect(shortHash("foobar")).toBe("bf9cf968")
    expect(shortHash("ü€")).toBe("a44d0435")
    expect(shortHash("k4788")).toBe("0005d0bf")
  })
})

describe("Mqtt discovery: units", () => {
  it("the table: Home Assistant's unit and device class per declared unit", () => {
    expect(HASS_UNITS).toEqual({
      celsius: { unit: "°C", deviceClass: "temperature" },
      bytes: { unit: "B", deviceClass: "data_size" },
      bytes_per_second: { unit: "B/s", deviceClass: "data_rate" },
      bits_per_second: { unit: "bit/s", deviceClass: "data_rate" },
      milliseconds: { unit: "ms", deviceClass: "duration" },
      seconds: { unit: "s", deviceClass: "duration" },
      minutes: { unit: "min", deviceClass: "duration" },
      hours: { unit: "h", deviceClass: "duration" },
      days: { unit: "d", deviceClass: "duration" },
      volts: { unit: "V", deviceClass: "voltage" },
      amperes: { unit: "A", deviceClass: "current" },
      watts: { unit: "W", deviceClass: "power" },
      joules: { unit: "J", deviceClass: "energy" },
      watt_hours: { unit: "Wh", deviceClass: "energy" },
      kilowatt_hours: { unit: "kWh", deviceClass: "energy" },
      hertz: { unit: "Hz", deviceClass: "frequency" },
      volt_amperes: { unit: "VA", deviceClass: "apparent_power" },
      var: { unit: "var", deviceClass: "reactive_power" },
      kilometers: { unit: "km", deviceClass: "distance" },
      percent: { unit: "%" },
      ratio: {},
      rpm: { unit: "rpm" },
      per_second: { unit: "/s" },
    })
  })

  it("an unknown unit is shown as it is; energy gauges are totals, other gauges measurements", () => {
    expect(hassMeasure("kilowatt_hours", "gauge")).toEqual({ unit_of_measurement: "kWh", device_class: "energy", state_class: "total" })
    expect(hassMeasure("watts", "gauge")).toEqual({ unit_of_measurement: "W", device_class: "power", state_class: "measurement" })
    expect(hassMeasure("furlongs", "counter")).toEqual({ unit_of_measurement: "furlongs", state_class: "total_increasing" })
    expect(hassMeasure(undefined, undefined)).toEqual({ state_class: "measurement" })
    expect(hassMeasure(undefined, "gauge")).toEqual({ state_class: "measurement" })
    // no key at all (not one set to undefined) where there is no unit or class
    expect(hassMeasure("ratio", "gauge")).toStrictEqual({ state_class: "measurement" })
    expect(hassMeasure(undefined, "counter")).toStrictEqual({ state_class: "total_increasing" })
    expect(hassMeasure("percent", undefined)).toStrictEqual({ unit_of_measurement: "%", state_class: "measurement" })
  })
})

describe("Mqtt discovery: entry", () => {
  it("the whole config: sensor, measure, availability, device per host, origin", () => {
    const device = { host: "Web-1.lan", version: "9.9.9", availabilityTopic: "pollect/pollect-web1/status" }
    const entry = discoveryEntry("ha", device, "pollect_web1_net_rx", "pollect.net/rx", "pollect Net rx", "bytes", "counter")
    expect(entry.objectId).toBe("pollect_web1_net_rx")
    expect(entry.configTopic).toBe("ha/sensor/pollect_web1_net_rx/config")
    expect(JSON.parse(entry.payload)).toEqual({
      name: "pollect Net rx",
      unique_id: "pollect_web1_net_rx",
      default_entity_id: "sensor.pollect_web1_net_rx",
      state_topic: "pollect.net/rx",
      unit_of_measurement: "B",
      device_class: "data_size",
      state_class: "total_increasing",
      availability_topic: "pollect/pollect-web1/status",
      payload_available: "online",
      payload_not_available: "offline",
      device: {
        identifiers: ["pollect_web-1_lan"],
        name: "Web-1.lan",
        manufacturer: "pollect",
        model: "pollect",
        sw_version: "9.9.9",
      },
      origin: { name: "pollect", sw_version: "9.9.9" },
    })
    // the payload is JSON text: its key order is part of what is published
    expect(Object.keys(JSON.parse(entry.payload))).toEqual([
      "name",
      "unique_id",
      "default_entity_id",
      "state_topic",
      "unit_of_measurement",
      "device_class",
      "state_class",
      "availability_topic",
      "payload_available",
      "payload_not_available",
      "device",
      "origin",
    ])
  })
})

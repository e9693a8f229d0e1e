/** What HomematicIp emits: the original's room values and the per-device values. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  roomTemperature: {
    values: ["temperature_target", "temperature"],
    labels: ["room"],
    unit: "celsius",
    help: "Room temperature (climate display)",
  },
  roomHumidity: { values: ["humidity"], labels: ["room"], unit: "percent", help: "Room relative humidity (climate display)" },
  deviceTemperature: {
    values: ["device_temperature", "device_temperature_target", "valve_temperature"],
    labels: ["room", "device"],
    unit: "celsius",
    help: "Temperature per HomematicIP device",
  },
  deviceHumidity: {
    values: ["device_humidity"],
    labels: ["room", "device"],
    unit: "percent",
    help: "Relative humidity per HomematicIP device",
  },
  valvePosition: { values: ["valve_position"], labels: ["room", "device"], unit: "ratio", help: "Radiator valve opening, 0..1" },
})

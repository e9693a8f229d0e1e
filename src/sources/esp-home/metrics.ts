/** What EspHome emits: pollect 1.2's names (the source exists only in 1.2). */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  sensor: {
    values: ["<device_class>"],
    labels: ["name"],
    help: "State of an ESPHome sensor, named by its device class (temperature, humidity, power, ...), in the sensor's own unit",
  },
  sensorWithoutClass: {
    labels: ["name"],
    help: "State of an ESPHome sensor that has no device class, in the sensor's own unit",
  },
  binarySensor: {
    values: ["binary_<device_class>", "binary"],
    labels: ["name"],
    help: "State of an ESPHome binary sensor: 1 on, 0 off (binary_ and its device class, or binary without one)",
  },
})

/**
 * What SmaEnergyMeter emits: pollect 1.2's names (German, as 1.2's OBIS map has them), the label
 * `phase` (`0` the total, `1`–`3` L1–L3). Instantaneous values are averaged over the datagrams
 * since the last probe (as 1.2); counters (`_sum`) are the newest.
 */
import { defineMetrics } from "../../api.ts"

const labels = ["phase"]

export const metrics = defineMetrics({
  activePower: {
    values: ["wirkleistung_positive", "wirkleistung_negative"],
    labels,
    unit: "watts",
    help: "Active power drawn from (positive) and fed into (negative) the grid",
  },
  reactivePower: {
    values: ["blindleistung_positive", "blindleistung_negative"],
    labels,
    unit: "var",
    help: "Reactive power, positive and negative",
  },
  apparentPower: {
    values: ["scheinleistung_positive", "scheinleistung_negative"],
    labels,
    unit: "volt_amperes",
    help: "Apparent power, positive and negative",
  },
  activeEnergy: {
    values: ["wirkleistung_positive_sum", "wirkleistung_negative_sum"],
    labels,
    unit: "kilowatt_hours",
    kind: "counter",
    help: "Active energy drawn from (positive) and fed into (negative) the grid, the meter's counter",
  },
  reactiveEnergy: {
    values: ["blindleistung_positive_sum", "blindleistung_negative_sum"],
    labels,
    kind: "counter",
    help: "Reactive energy in kvarh, positive and negative, the meter's counter",
  },
  apparentEnergy: {
    values: ["scheinleistung_positive_sum", "scheinleistung_negative_sum"],
    labels,
    kind: "counter",
    help: "Apparent energy in kVAh, positive and negative, the meter's counter",
  },
  current: { values: ["strom"], labels, unit: "amperes", help: "Current per phase (L1–L3)" },
  voltage: { values: ["spannung"], labels, unit: "volts", help: "Voltage per phase (L1–L3)" },
  powerFactor: { values: ["leistungsfaktor"], labels, help: "Power factor (cos φ), total and per phase" },
  frequency: { values: ["netzfrequenz"], labels, unit: "hertz", help: "Grid frequency" },
})

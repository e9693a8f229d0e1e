/**
 * What SmaPvModbus emits. The first seven are pollect 1.2's names (temp, frequency, power,
 * energy, dc_voltage, dc_current and ac_voltage per phase); the rest are this port's additions.
 */
import { defineMetrics } from "../../api.ts"

const phase = ["phase"]
const string = ["string"]

export const metrics = defineMetrics({
  temp: { values: ["temp"], unit: "celsius", help: "Inverter internal temperature (30953)" },
  frequency: { values: ["frequency"], unit: "hertz", help: "Grid frequency (30803)" },
  power: { values: ["power"], unit: "watts", help: "AC active power fed in, all phases (30775)" },
  energy: { values: ["energy"], unit: "watt_hours", kind: "counter", help: "Total energy yield (30513)" },
  dcVoltage: { values: ["dc_voltage"], unit: "volts", help: "DC voltage of input A (30771)" },
  dcCurrent: { values: ["dc_current"], unit: "amperes", help: "DC current of input A (30769)" },
  acVoltage: { values: ["ac_voltage"], labels: phase, unit: "volts", help: "Grid voltage per phase, 1-3 (30783, 30785, 30787)" },
  acPower: { values: ["ac_power"], labels: phase, unit: "watts", help: "AC active power per phase, 1-3 (30777, 30779, 30781)" },
  acCurrent: { values: ["ac_current"], labels: phase, unit: "amperes", help: "Grid current per phase, 1-3 (30977, 30979, 30981)" },
  gridCurrent: { values: ["grid_current"], unit: "amperes", help: "Grid current, all phases (30795)" },
  energyToday: { values: ["energy_today"], unit: "watt_hours", help: "Energy yield of the current day (30517)" },
  health: { values: ["health"], help: "Device health code (30201): 35 fault, 303 off, 307 ok, 455 warning" },
  stringVoltage: { values: ["string_voltage"], labels: string, unit: "volts", help: "DC voltage per input, A or B (30771, 30959)" },
  stringCurrent: { values: ["string_current"], labels: string, unit: "amperes", help: "DC current per input, A or B (30769, 30957)" },
  stringPower: { values: ["string_power"], labels: string, unit: "watts", help: "DC power per input, A or B (30773, 30961)" },
})

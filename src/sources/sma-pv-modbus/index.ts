/**
 * `SmaPvModbus`: an SMA PV inverter (Sunny Boy, Sunny Tripower) over Modbus TCP. Reads the
 * registers pollect 1.2 reads (temperature, frequency, power, total yield, DC of input A, AC
 * voltage per phase) with 1.2's names, plus per-phase power and current, the day's yield, the
 * health code and DC per input (A, B). The registers are read in 4 requests per probe over one
 * connection kept across ticks. SMA's NaN markers are left out, not reported as 0 (1.2) or as
 * 2147483648.
 */
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { options, type SmaPvModbusOptions } from "./options.ts"
import { ModbusTcpClient } from "./modbus-client.ts"
import { ModbusException, READ_HOLDING_REGISTERS, READ_INPUT_REGISTERS } from "./modbus-frame.ts"
import { planReads } from "./read-plan.ts"
import {
  decodeSmaValue,
  SMA_DEFAULT_UNIT_ID,
  SMA_REGISTERS,
  type SmaRegister,
  type SmaRegisterName,
  UNIT_ID_DISCOVERY,
  wordsOf,
} from "./sma-registers.ts"

/** The requests of one probe: every register this source reads, grouped. */
const PLAN = planReads(Object.values(SMA_REGISTERS).map((r: SmaRegister) => ({ address: r.address, count: wordsOf(r.type) })))

export class SmaPvModbusSource extends Source<SmaPvModbusOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10

  private client: ModbusTcpClient | undefined
  /** The unit id found on connection number `connection`. */
  private discovered: { connection: number; unitId: number } | undefined

  override async probe(): Promise<ValueSet[]> {
    const client = (this.client ??= new ModbusTcpClient(this.config.host, this.config.port))
    const signal = this.ctx.signal
    const unitId = await this.unitId(client, signal)
    const fn = this.config.registerType === "input" ? READ_INPUT_REGISTERS : READ_HOLDING_REGISTERS
    const words = new Map<number, number>()
    for (const span of PLAN) {
      const registers = await client.read(fn, unitId, span.address, span.count, signal)
      registers.forEach((word, i) => words.set(span.address + i, word))
    }
    return buildSets((name) => {
      const register = SMA_REGISTERS[name]
      const own = Array.from({ length: wordsOf(register.type) }, (_, i) => words.get(register.address + i)!)
      return decodeSmaValue(register, own)
    })
  }

  override close(): void {
    this.client?.close()
    this.client = undefined
  }

  private async unitId(client: ModbusTcpClient, signal: AbortSignal): Promise<number> {
    if (this.config.unitId !== undefined) return this.config.unitId
    // A new connection (first, or after the device closed it) asks again, as 1.2 does.
    if (this.discovered && client.isOpen && this.discovered.connection === client.connections) return this.discovered.unitId
    const { unitId: systemUnit, address, count } = UNIT_ID_DISCOVERY
    let unitId: number
    try {
      const registers = await client.read(READ_HOLDING_REGISTERS, systemUnit, address, count, signal)
      unitId = registers[3]!
      if (unitId < 1 || unitId > 247)
        throw new Error(`${this.config.host}:${this.config.port} gives unit id ${unitId} in register 42112: set unitId`)
      this.ctx.log.debug(`unit id ${unitId} (register 42112 of unit 1)`)
    } catch (error) {
      if (!(error instanceof ModbusException)) throw error
      unitId = SMA_DEFAULT_UNIT_ID
      this.ctx.log.debug(`no unit id in register 42112 of unit 1 (${error.message}): using SMA's default ${unitId}`)
    }
    this.discovered = { connection: client.connections, unitId }
    return unitId
  }
}

/** The ValueSets of one reading; `value` gives a register's value or undefined (NaN). */
export function buildSets(value: (name: SmaRegisterName) => number | undefined): ValueSet[] {
  const sets: ValueSet[] = []
  const single = (spec: (typeof metrics)[keyof typeof metrics], name: string, register: SmaRegisterName) => {
    const x = value(register)
    if (x !== undefined) sets.push(new ValueSet(spec).add(x, [], name))
  }
  const labelled = (spec: (typeof metrics)[keyof typeof metrics], name: string, registers: [string, SmaRegisterName][]) => {
    const set = new ValueSet(spec)
    for (const [label, register] of registers) {
      const x = value(register)
      if (x !== undefined) set.add(x, [label], name)
    }
    if (set.values.length) sets.push(set)
  }
  // pollect 1.2's, in its order
  single(metrics.temp, "temp", "temperature")
  single(metrics.frequency, "frequency", "frequency")
  single(metrics.power, "power", "power")
  single(metrics.energy, "energy", "energy")
  single(metrics.dcVoltage, "dc_voltage", "dcVoltageA")
  single(metrics.dcCurrent, "dc_current", "dcCurrentA")
  labelled(metrics.acVoltage, "ac_voltage", [
    ["1", "voltageL1"],
    ["2", "voltageL2"],
    ["3", "voltageL3"],
  ])
  // this port's additions
  labelled(metrics.acPower, "ac_power", [
    ["1", "powerL1"],
    ["2", "powerL2"],
    ["3", "powerL3"],
  ])
  labelled(metrics.acCurrent, "ac_current", [
    ["1", "currentL1"],
    ["2", "currentL2"],
    ["3", "currentL3"],
  ])
  single(metrics.gridCurrent, "grid_current", "gridCurrent")
  single(metrics.energyToday, "energy_today", "energyToday")
  single(metrics.health, "health", "health")
  labelled(metrics.stringVoltage, "string_voltage", [
    ["A", "dcVoltageA"],
    ["B", "dcVoltageB"],
  ])
  labelled(metrics.stringCurrent, "string_current", [
    ["A", "dcCurrentA"],
    ["B", "dcCurrentB"],
  ])
  labelled(metrics.stringPower, "string_power", [
    ["A", "dcPowerA"],
    ["B", "dcPowerB"],
  ])
  return sets
}

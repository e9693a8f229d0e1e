/**
 * The SMA Modbus profile's registers this source reads, their data types and formats, and how
 * a value is decoded. Facts from SMA's "SMA Modbus interface" technical information (data types
 * and NaN values, section "SMA Data Types and NaN Values") and its register lists for the
 * Sunny Boy / Sunny Tripower series; the registers pollect 1.2 reads (libs/sma/SmaModbus.py)
 * are marked `1.2`.
 */

/** SMA's data types: signed/unsigned words of 16, 32 or 64 bits, big-endian, high word first. */
export type SmaType = "S16" | "U16" | "S32" | "U32" | "U64"
/** FIXn: a decimal number with n decimal places (the register holds value × 10^n); ENUM: a code. */
export type SmaFormat = "FIX0" | "FIX1" | "FIX2" | "FIX3" | "ENUM"

export interface SmaRegister {
  /** The register number as SMA lists it (e.g. 30775), which is the Modbus address. */
  readonly address: number
  readonly type: SmaType
  readonly format: SmaFormat
  /** SMA's channel name, for the docs. */
  readonly channel: string
}

/** How many 16-bit registers a type takes. */
export function wordsOf(type: SmaType): number {
  return type === "U64" ? 4 : type === "S16" || type === "U16" ? 1 : 2
}

const reg = (address: number, type: SmaType, format: SmaFormat, channel: string): SmaRegister => ({ address, type, format, channel })

/** The registers, by what they mean. */
export const SMA_REGISTERS = {
  health: reg(30201, "U32", "ENUM", "Operation.Health"),
  energy: reg(30513, "U64", "FIX0", "Metering.TotWhOut"), // 1.2: energy (Wh)
  energyToday: reg(30517, "U64", "FIX0", "Metering.DyWhOut"),
  dcCurrentA: reg(30769, "S32", "FIX3", "DcMs.Amp[A]"), // 1.2: dc_current (A)
  dcVoltageA: reg(30771, "S32", "FIX2", "DcMs.Vol[A]"), // 1.2: dc_voltage (V)
  dcPowerA: reg(30773, "S32", "FIX0", "DcMs.Watt[A]"),
  power: reg(30775, "S32", "FIX0", "GridMs.TotW"), // 1.2: power (W)
  powerL1: reg(30777, "S32", "FIX0", "GridMs.W.phsA"),
  powerL2: reg(30779, "S32", "FIX0", "GridMs.W.phsB"),
  powerL3: reg(30781, "S32", "FIX0", "GridMs.W.phsC"),
  voltageL1: reg(30783, "U32", "FIX2", "GridMs.PhV.phsA"), // 1.2: ac_voltage phase 1 (V)
  voltageL2: reg(30785, "U32", "FIX2", "GridMs.PhV.phsB"), // 1.2: ac_voltage phase 2
  voltageL3: reg(30787, "U32", "FIX2", "GridMs.PhV.phsC"), // 1.2: ac_voltage phase 3
  gridCurrent: reg(30795, "U32", "FIX3", "GridMs.TotA"),
  frequency: reg(30803, "U32", "FIX2", "GridMs.Hz"), // 1.2: frequency (Hz)
  temperature: reg(30953, "S32", "FIX1", "Coolsys.Cab.TmpVal"), // 1.2: temp (°C)
  dcCurrentB: reg(30957, "S32", "FIX3", "DcMs.Amp[B]"),
  dcVoltageB: reg(30959, "S32", "FIX2", "DcMs.Vol[B]"),
  dcPowerB: reg(30961, "S32", "FIX0", "DcMs.Watt[B]"),
  currentL1: reg(30977, "U32", "FIX3", "GridMs.A.phsA"),
  currentL2: reg(30979, "U32", "FIX3", "GridMs.A.phsB"),
  currentL3: reg(30981, "U32", "FIX3", "GridMs.A.phsC"),
} as const satisfies Record<string, SmaRegister>

export type SmaRegisterName = keyof typeof SMA_REGISTERS

/**
 * Where pollect 1.2 (and SMA's own discovery) finds the unit id: unit 1's holding registers
 * 42109..42112 hold the physical serial number (U32), the SUSyID (U16) and the unit id (U16).
 */
export const UNIT_ID_DISCOVERY = { unitId: 1, address: 42109, count: 4 } as const
/** SMA's default unit id for an inverter's own data. */
export const SMA_DEFAULT_UNIT_ID = 3

/** SMA's "not a number" per type: the register holds no value (not measured, not supported). */
const NAN_WORDS: Record<SmaType, readonly number[]> = {
  S16: [0x8000],
  U16: [0xffff],
  S32: [0x8000, 0x0000],
  U32: [0xffff, 0xffff],
  U64: [0xffff, 0xffff, 0xffff, 0xffff],
}

/** A status value uses only the lower 24 bits of a U32: 0x00FFFFFD is its NaN. */
const NAN_ENUM = 0x00fffffd

const DIVISORS: Record<SmaFormat, number> = { FIX0: 1, FIX1: 10, FIX2: 100, FIX3: 1000, ENUM: 1 }

/**
 * The value of `register` from its words (`words[0]` is the high word), in the unit SMA states
 * (W, Wh, V, A, Hz, °C; an ENUM as its code); `undefined` for SMA's NaN of the type, so a
 * missing value is left out rather than reported as 2147483648 or 0.
 */
export function decodeSmaValue(register: SmaRegister, words: ArrayLike<number>): number | undefined {
  const count = wordsOf(register.type)
  if (words.length !== count)
    throw new RangeError(`register ${register.address} (${register.type}) needs ${count} words, got ${words.length}`)
  const nan = NAN_WORDS[register.type]
  if (nan.every((word, i) => words[i] === word)) return undefined
  let raw: number
  switch (register.type) {
    case "S16":
      raw = (words[0]! << 16) >> 16
      break
    case "U16":
      raw = words[0]!
      break
    case "S32":
      raw = (words[0]! << 16) | words[1]! | 0
      break
    case "U32":
      raw = words[0]! * 0x10000 + words[1]!
      break
    case "U64":
      raw = ((words[0]! * 0x10000 + words[1]!) * 0x10000 + words[2]!) * 0x10000 + words[3]!
      break
  }
  if (register.format === "ENUM" && raw === NAN_ENUM) return undefined
  // Division, not multiplication by 0.1: 2305 / 10 is exactly the double nearest 230.5.
  return raw / DIVISORS[register.format]
}

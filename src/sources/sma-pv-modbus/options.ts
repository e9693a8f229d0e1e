/** The options of SmaPvModbus; light on purpose: validation loads it without the implementation, which loads only when a config uses SmaPvModbus. */
import { v } from "../../api.ts"

export const options = v.object({
  host: v.pipe(v.string(), v.nonEmpty(), v.description("Host name or address of the inverter (its Modbus TCP server must be enabled)")),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("Modbus TCP port")), 502),
  unitId: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.maxValue(255),
      v.description(
        "Modbus unit id of the inverter's data (SMA's default is 3). Unset: read from unit 1's registers 42109-42112 on each new connection, as pollect 1.2 does (3 if the device refuses that read)",
      ),
    ),
  ),
  registerType: v.optional(
    v.pipe(
      v.picklist(["holding", "input"]),
      v.description(
        "Read the 3xxxx registers as holding registers (function 0x03, as pollect 1.2) or input registers (0x04); SMA devices answer both",
      ),
    ),
    "holding",
  ),
})

export type SmaPvModbusOptions = v.InferOutput<typeof options>

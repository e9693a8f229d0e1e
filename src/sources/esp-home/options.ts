/** The options of EspHome; light on purpose: validation loads it without the implementation, which loads only when a config uses EspHome. */
import { v } from "../../api.ts"
import { decodePsk } from "./psk.ts"

export const options = v.object({
  host: v.pipe(v.string(), v.nonEmpty(), v.description("The device's host name or address (`living-room.local`, `192.168.1.40`)")),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("The native API's TCP port")), 6053),
  psk: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => text === "" || isPsk(text), "expected the device's api encryption key: base64 of 32 bytes (44 characters)"),
      v.description("The device's `api: encryption: key:` (base64, 32 bytes); absent or empty: the plain-text protocol. Never logged"),
    ),
  ),
})

function isPsk(text: string): boolean {
  try {
    decodePsk(text)
    return true
  } catch {
    return false
  }
}

export type EspHomeOptions = v.InferOutput<typeof options>

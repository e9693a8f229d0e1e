/** The options of TcpTime; light on purpose: validation loads it without the implementation, which loads only when a config uses TcpTime. */
import { v } from "../../api.ts"

export const options = v.object({
  host: v.pipe(v.string(), v.nonEmpty(), v.description("Host name or address")),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("TCP port")),
})

/** The validated options of TcpTime. */
export type TcpTimeOptions = v.InferOutput<typeof options>

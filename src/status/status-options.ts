/** The config's top-level `status` key: off when absent. */
import * as v from "valibot"
import { basicAuthField, tlsServerField } from "../lib/options/http-server-fields.ts"

export const statusSchema = v.pipe(
  v.object({
    port: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(0),
        v.maxValue(65535),
        v.description("TCP port of the status page; 0 picks a free one (logged)"),
      ),
      9465,
    ),
    host: v.optional(
      v.pipe(
        v.string(),
        v.nonEmpty(),
        v.description("Bind address; 127.0.0.1 by default (set 0.0.0.0 to reach it from the network, with basicAuth)"),
      ),
      "127.0.0.1",
    ),
    basicAuth: basicAuthField(),
    tls: tlsServerField(),
    historySeries: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(0),
        v.maxValue(1_000_000),
        v.description("Series whose last hour is kept for the sparklines (about 330 bytes each); the rest show without one"),
      ),
      2000,
    ),
  }),
  v.description("A status page for people (/) and scripts (/status.json); off unless set. See docs/status.md"),
)

export type StatusOptions = v.InferOutput<typeof statusSchema>

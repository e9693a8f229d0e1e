/** The options of Graphite; light on purpose: validation loads it without the implementation, which loads only when a config uses Graphite. */
import { v } from "../../api.ts"
import { queueField } from "../../lib/queue/queue-field.ts"

const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))

export const options = v.object({
  host: v.optional(
    v.pipe(
      v.string(),
      // The message never echoes the value: what precedes an `@` is a user name and password.
      v.check(
        (host) => !/[@/]/.test(host),
        (issue) =>
          String(issue.input).includes("@")
            ? "must be a host name or address only: it contains credentials (user:password@), which carbon does not take; remove them"
            : "must be a host name or address only, not a URL (set the port with picklePort or plaintextPort)",
      ),
      v.description("carbon's host name or address."),
    ),
    "localhost",
  ),
  picklePort: v.optional(
    v.pipe(port, v.description("carbon's pickle receiver port (`PICKLE_RECEIVER_PORT`); used unless `plaintextPort` is set.")),
    2004,
  ),
  /** Send plaintext lines to this port instead of pickle to `picklePort`. */
  plaintextPort: v.optional(
    v.pipe(
      port,
      v.description(
        "When set, send plaintext lines (`path value timestamp`) to this port (`LINE_RECEIVER_PORT`, usually 2003) instead of pickle to `picklePort`.",
      ),
    ),
  ),
  /** Prepended to every path, with a dot: `servers.web1` → `servers.web1.pollect.loadavg.mid`. */
  prefix: v.optional(
    v.pipe(v.string(), v.description("Prepended to every path with a dot: `servers.web1` gives `servers.web1.pollect.loadavg.mid`.")),
  ),
  /** Points kept while carbon is unreachable; the oldest go first. */
  bufferSize: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.description("Points kept in memory while carbon is unreachable; when full, the oldest are dropped (and counted)."),
    ),
    100_000,
  ),
  /** After a lost connection, frames written this many seconds before it are sent again. 0: never. */
  resendSeconds: v.optional(
    v.pipe(
      v.number(),
      v.minValue(0),
      v.description(
        "After a lost connection, what was written this many seconds before it is sent again (carbon acknowledges nothing); `0` turns it off.",
      ),
    ),
    5,
  ),
  queue: queueField,
})

/** The validated options of Graphite. */
export type GraphiteOptions = v.InferOutput<typeof options>

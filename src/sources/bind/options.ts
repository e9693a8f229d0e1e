/** The options of Bind; light on purpose: validation loads it without the implementation, which loads only when a config uses Bind. */
import { v } from "../../api.ts"

export const options = v.object({
  url: v.pipe(
    v.string(),
    v.url(),
    v.description(
      "The statistics channel. Without a path (`http://192.168.1.10:8053`) pollect reads `/xml/v3/server`; give `…/json/v1/server` to use JSON. The format is recognised from the answer.",
    ),
  ),
  views: v.optional(
    v.pipe(
      v.array(v.string()),
      v.description("Views whose resolver and cache statistics are reported. `_bind` (BIND's internal CHAOS view) only when listed."),
    ),
    ["_default"],
  ),
  counters: v.optional(
    v.pipe(
      v.picklist(["rate", "total", "both"]),
      v.description(
        "Counters as per-second rates (`rate`, the original's way, fits Graphite), as raw totals (`total`, Prometheus counters, use `rate()` in PromQL) or `both`.",
      ),
    ),
    "rate",
  ),
})

export type BindOptions = v.InferOutput<typeof options>

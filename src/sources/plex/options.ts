/** The options of Plex; light on purpose: validation loads it without the implementation, which loads only when a config uses Plex. */
import { v } from "../../api.ts"

export const options = v.object({
  url: v.pipe(
    v.string(),
    v.url(),
    v.description(
      "Plex server, e.g. `http://192.168.1.10:32400` (a base path behind a reverse proxy is kept). Use the NIC's address rather than `localhost` when Plex allows unauthenticated access from the local network only.",
    ),
  ),
  token: v.optional(
    v.pipe(
      v.string(),
      v.description(
        "X-Plex-Token, for servers that require authentication. Sent as the `X-Plex-Token` header, never in a URL, never logged.",
      ),
    ),
  ),
})

export type PlexOptions = v.InferOutput<typeof options>

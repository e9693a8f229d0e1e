/** The options of Pmcc; light on purpose: validation loads it without the implementation, which loads only when a config uses Pmcc. */
import { v } from "../../api.ts"
import { normalizeFingerprint } from "../../lib/options/fingerprint.ts"

export const options = v.object({
  host: v.pipe(
    v.string(),
    v.regex(/^[^\s/]+$/, "expected a host name or address (and `:port`), without scheme or path"),
    v.description(
      "The charger's host name or address (`iccpd-xxxxxx`, `192.168.1.50`; `:port` if not 443); pollect connects to `wss://<host>/ws`",
    ),
  ),
  fingerprint: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (text) => normalizeFingerprint(text) !== undefined,
        "expected the certificate's SHA-256 fingerprint: 64 hex digits, colons allowed",
      ),
      v.description(
        "The SHA-256 fingerprint of the charger's certificate (`openssl x509 -noout -fingerprint -sha256`): then only that certificate is accepted. Unset: any certificate, as 1.2",
      ),
    ),
  ),
})

export type PmccOptions = v.InferOutput<typeof options>

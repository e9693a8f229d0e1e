/**
 * What Certificate emits: pollect 1.2's `cert_expire_days`, and this port's chain expiry,
 * validity timestamps and verification; unlabelled for one target (1.2's series), with the
 * label `url` for a list of targets (as Http's URL list), which adds `ok` per target.
 */
import { defineMetrics } from "../../api.ts"

const expire = {
  values: ["cert_expire_days"],
  unit: "days",
  help: "Whole days until the server's certificate expires (negative once expired), as pollect 1.2",
} as const
const chainExpire = {
  values: ["chain_expire_days"],
  unit: "days",
  help: "Whole days until the first certificate of the chain the server sent (leaf, intermediates, root) expires",
} as const
const validity = {
  values: ["not_before_timestamp", "not_after_timestamp"],
  unit: "seconds",
  help: "Start and end of the server certificate's validity (unix time)",
} as const
const verified = {
  values: ["verified"],
  help: "1 if the chain verifies against the trusted roots (the system's, and `caFile`) and names the host, else 0",
} as const

export const metrics = defineMetrics({
  expire,
  chainExpire,
  validity,
  verified,
  expireByUrl: { ...expire, labels: ["url"] },
  chainExpireByUrl: { ...chainExpire, labels: ["url"] },
  validityByUrl: { ...validity, labels: ["url"] },
  verifiedByUrl: { ...verified, labels: ["url"] },
  okByUrl: {
    values: ["ok"],
    labels: ["url"],
    help: "1 if the TLS handshake with the target succeeded, else 0 (its other values are left out)",
  },
})

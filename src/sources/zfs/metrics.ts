/**
 * What Zfs emits. `capacity`, `operations_per_sec` and `bandwidth_per_sec` are pollect 1.2's
 * sets, names and labels (`pollect_Zfs_capacity{pool,capacity}`, `..._operations_per_sec{pool,io}`);
 * `health` and the ARC values are this port's additions.
 */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  capacity: {
    values: ["capacity"],
    labels: ["pool", "capacity"],
    unit: "bytes",
    help: "Pool space, `capacity` = `used` (allocated) or `free`, from zpool iostat",
  },
  operations: {
    values: ["operations_per_sec"],
    labels: ["pool", "io"],
    help: "Read or write operations per second (`io` = `read` / `write`), averaged over the zpool iostat intervals since the last probe",
  },
  bandwidth: {
    values: ["bandwidth_per_sec"],
    labels: ["pool", "io"],
    unit: "bytes",
    help: "Bytes read or written per second (`io` = `read` / `write`), averaged over the zpool iostat intervals since the last probe",
  },
  health: {
    values: ["health"],
    labels: ["pool", "state"],
    help: "1 for the pool's current state (ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, SUSPENDED), 0 for the others",
  },
  arcSize: {
    values: ["arc_size", "arc_c_max"],
    unit: "bytes",
    help: "ARC size now (`arc_size`) and its maximum target (`arc_c_max`), from arcstats",
  },
  arcCounts: {
    values: ["arc_hits", "arc_misses"],
    kind: "counter",
    help: "ARC hits and misses since the module was loaded, from arcstats",
  },
})

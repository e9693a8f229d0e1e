/**
 * Types of pollect 1.2 this port knows of but does not have, each with why and what to use
 * instead. `pollect check` (and the start) reports one of them with this reason rather than the
 * generic "unknown type", so a user coming from 1.2 learns it is a decision, not a typo.
 */

export interface NotPorted {
  kind: "source" | "writer"
  /** Why it is not here and what to use instead: one sentence a user can act on. */
  reason: string
}

export const NOT_PORTED: Readonly<Record<string, NotPorted>> = {
  K8sNamespaceTraffic: {
    kind: "source",
    reason:
      "it counts TCP traffic with eBPF kprobes through bcc (Python bindings that compile C against the running kernel), which a Bun binary cannot load; " +
      "for per-pod or per-namespace traffic use cAdvisor (the kubelet's container_network_receive_bytes_total and container_network_transmit_bytes_total) " +
      "or an eBPF exporter such as Cloudflare's ebpf_exporter",
  },
}

/** The problem line for a type of pollect 1.2 that is not ported, or undefined for any other type. */
export function notPortedProblem(kind: "source" | "writer", type: string): string | undefined {
  const entry = Object.hasOwn(NOT_PORTED, type) ? NOT_PORTED[type] : undefined
  if (!entry || entry.kind !== kind) return undefined
  return `${kind} type "${type}" of pollect 1.2 is not ported: ${entry.reason}`
}

/** `pollect check` on a config of pollect 1.2 that uses a type this port does not have, on purpose. */
import { describe, expect, it } from "bun:test"
import { writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { tempDir } from "../../test/helpers/context.ts"
import { builtinRegistry } from "../registry.ts"
import { NOT_PORTED, notPortedProblem } from "./not-ported.ts"

const MAIN = resolve(import.meta.dir, "../main.ts")

async function check(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, MAIN, "check", "--config", file], { stdout: "pipe", stderr: "pipe" })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

describe("types of pollect 1.2 that are not ported", () => {
  it("pollect check on 1.2's K8sNamespaceTraffic: exit 2, the reason and what to use instead", async () => {
    const dir = tempDir()
    const file = join(dir, "config.yml")
    // The source as 1.2's docs/K8sNetwork.md configures it.
    writeFileSync(
      file,
      [
        "executors:",
        "  - collection: k8s",
        "    sources:",
        "      - type: LoadAvg",
        "      - type: K8sNamespaceTraffic",
        "        name: host",
        "        networks:",
        "          - name: local",
        '            cidrs: [ "192.168.1.0/24" ]',
        "",
      ].join("\n"),
    )
    const { code, stdout, stderr } = await check(file)
    expect(code).toBe(2)
    expect(stdout + stderr).toBe(
      `invalid config in ${file} (1 problem):\n` +
        '  - executors[0].sources[1]: source type "K8sNamespaceTraffic" of pollect 1.2 is not ported: ' +
        "it counts TCP traffic with eBPF kprobes through bcc (Python bindings that compile C against the running kernel), which a Bun binary cannot load; " +
        "for per-pod or per-namespace traffic use cAdvisor (the kubelet's container_network_receive_bytes_total and container_network_transmit_bytes_total) " +
        "or an eBPF exporter such as Cloudflare's ebpf_exporter\n",
    )
  })

  it("a type that is simply unknown still lists the known ones", async () => {
    const dir = tempDir()
    const file = join(dir, "config.json")
    writeFileSync(file, JSON.stringify({ executors: [{ sources: [{ type: "K8sNamespaceTrafic" }] }] }))
    const { code, stdout, stderr } = await check(file)
    expect(code).toBe(2)
    expect(stdout + stderr).toContain('executors[0].sources[0]: unknown source type "K8sNamespaceTrafic" (known: ')
  })

  it("names only types no built-in has, and only for their kind", () => {
    const registry = builtinRegistry()
    for (const [type, entry] of Object.entries(NOT_PORTED)) {
      expect((entry.kind === "source" ? registry.sources : registry.writers).has(type)).toBe(false)
    }
    expect(notPortedProblem("writer", "K8sNamespaceTraffic")).toBeUndefined()
    expect(notPortedProblem("source", "toString")).toBeUndefined()
  })
})

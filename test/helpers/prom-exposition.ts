/**
 * Builds Prometheus text exposition for a source's result with the snake_case names of
 * core/naming.ts (as the Prometheus writer will), and runs `promtool check metrics` on it.
 */
import { promBaseUnit, promLabels, promName } from "../../src/core/naming.ts"
import type { SourceResult } from "../../src/core/source-result.ts"

const escape = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')

export function snakeCaseExposition(result: SourceResult): string {
  const families = new Map<string, { type: string; help: string; lines: string[] }>()
  for (const set of result.sets) {
    const { factor } = promBaseUnit(set)
    for (const value of set.values) {
      const name = promName(result, set, value, "snake_case")
      const labels = Object.entries(promLabels(result, set, value)).map(([k, v]) => `${k}="${escape(v)}"`).join(",")
      const family = families.get(name) ?? { type: set.kind ?? "gauge", help: set.help ?? name, lines: [] }
      family.lines.push(`${name}${labels ? `{${labels}}` : ""} ${value.value * factor}`)
      families.set(name, family)
    }
  }
  let text = ""
  for (const [name, family] of families) {
    text += `# HELP ${name} ${escape(family.help)}\n# TYPE ${name} ${family.type}\n${family.lines.join("\n")}\n`
  }
  return text
}

/** promtool's verdict: exit code and what it printed (empty when clean). */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, output: (out + err).trim() }
}

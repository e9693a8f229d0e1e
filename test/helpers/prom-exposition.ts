/**
 * A source's result as the Prometheus writer exposes it with snake_case names (its SeriesStore),
 * and `promtool check metrics` on that text.
 */
import { silentLogger } from "../../src/core/log.ts"
import type { SourceResult } from "../../src/core/source-result.ts"
import { SeriesStore } from "../../src/writers/prometheus/series-store.ts"

export function snakeCaseExposition(result: SourceResult): string {
  const store = new SeriesStore("snake_case", silentLogger)
  store.apply(result)
  return store.text()
}

/** promtool's verdict: exit code and what it printed (empty when clean). */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, output: (out + err).trim() }
}

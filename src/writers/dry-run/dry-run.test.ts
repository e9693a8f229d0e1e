import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { Writer } from "../../core/plugin.ts"
import { ValueSet } from "../../core/value-set.ts"
import { DryRunWriter, formatTick } from "./index.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { makeWriter, resultOf } from "../../../test/helpers/context.ts"

/** The tuples `('path', (time, value))` of printed lines, as `path value` each. */
function tuples(lines: string[]): string[] {
  return lines.flatMap((line) => [...line.matchAll(/\('([^']*)', \((\d+), ([^)]+)\)\)/g)].map((m) => `${m[1]} ${m[3]}`))
}

/**
 * What the writer prints, taken at its line sink (`out`, which writes to fd 1 by default: the
 * default is tested against a real pipe in src/core/stdio.test.ts and through the binary).
 */
function stdoutCapture() {
  const printed: string[] = []
  return {
    config: {},
    attach: (writer: Writer) => {
      const out = (writer as DryRunWriter).out
      expect(typeof out).toBe("function")
      ;(writer as DryRunWriter).out = (line: string) => {
        printed.push(line)
      }
    },
    received: () => tuples(printed),
  }
}

writerConformance({ type: "DryRun", cls: DryRunWriter, dir: import.meta.dir, peer: stdoutCapture })

/** testdata/<case>/tick.json: results as a source would have given them (plain JSON). */
function recordedTick(file: string) {
  const raw = JSON.parse(readFileSync(file, "utf8")) as {
    collection: string
    type: string
    name?: string
    time: number
    sets: { labels: string[]; values: { value: number; labelValues: string[]; name?: string }[] }[]
  }[]
  return raw.map((r) => {
    const sets = r.sets.map((s) => {
      const set = new ValueSet(s.labels)
      for (const value of s.values) set.add(value.value, value.labelValues, value.name)
      return set
    })
    return resultOf(sets, { collection: r.collection, type: r.type, name: r.name, time: r.time })
  })
}

describe("DryRun", () => {
  it("prints the tick on one line in the original's format, values in the source's order", () => {
    const load = new ValueSet(["time"]).add(0.01, ["mid"]).add(0, ["short"]).add(0, ["long"])
    expect(formatTick([resultOf(load, { type: "LoadAvg" })])).toBe(
      "('pollect.loadavg.mid', (1508478781, 0.01)), ('pollect.loadavg.short', (1508478781, 0.0)), ('pollect.loadavg.long', (1508478781, 0.0))",
    )
  })

  it("names: collection, type lower-cased, name, value name (dots are levels), label values (one level each)", () => {
    const line = formatTick([
      resultOf({ "bytes sent": 5, "streams.movies": 2 }, { type: "Interface", name: "wan 1", collection: "slowerMetrics" }),
      resultOf(new ValueSet(["disk"]).add(1, ["/"]).add(2, ["/var/lib"]).add(3, ["eth0.100"]), { type: "DiskUsage" }),
    ])
    expect(line).toBe(
      "('slowerMetrics.interface.wan_1.bytes_sent', (1508478781, 5.0)), ('slowerMetrics.interface.wan_1.streams.movies', (1508478781, 2.0)), " +
        "('pollect.diskusage._', (1508478781, 1.0)), ('pollect.diskusage._var_lib', (1508478781, 2.0)), ('pollect.diskusage.eth0_100', (1508478781, 3.0))",
    )
  })

  it("prints the project README's LoadAvg tick exactly as that README shows (testdata/seed-readme)", () => {
    const dir = join(import.meta.dir, "testdata/seed-readme")
    const expected = readFileSync(join(dir, "expected.txt"), "utf8").trimEnd()
    expect(readFileSync(join(import.meta.dir, "../../../README.md"), "utf8")).toContain(`\n${expected}\n`)
    const writer = makeWriter<DryRunWriter>(DryRunWriter, { type: "DryRun" })
    const lines: string[] = []
    writer.out = (line) => lines.push(line)
    writer.write(recordedTick(join(dir, "tick.json")))
    expect(lines).toEqual([expected])
  })

  it("writes through out(), nothing for an empty tick", () => {
    const writer = makeWriter<DryRunWriter>(DryRunWriter, { type: "DryRun" })
    const lines: string[] = []
    writer.out = (line) => lines.push(line)
    writer.write([])
    writer.write([resultOf(42, { type: "Http", name: "local" })])
    expect(lines).toEqual(["('pollect.http.local', (1508478781, 42.0))"])
  })

  it("by default prints each tick as one line, newline-terminated, on stdout (a real process)", () => {
    const index = JSON.stringify(join(import.meta.dir, "index.ts"))
    const context = JSON.stringify(join(import.meta.dir, "../../../test/helpers/context.ts"))
    const script = `
      import { DryRunWriter } from ${index}
      import { makeWriter, resultOf } from ${context}
      const writer = makeWriter(DryRunWriter, { type: "DryRun" })
      writer.write([resultOf(42, { type: "Http", name: "local" })])
      writer.write([])
      writer.write([resultOf(0.5, { type: "LoadAvg" })])
    `
    const run = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" })
    expect(run.stderr.toString()).toBe("")
    expect(run.stdout.toString()).toBe("('pollect.http.local', (1508478781, 42.0))\n('pollect.loadavg', (1508478781, 0.5))\n")
    expect(run.exitCode).toBe(0)
  })
})

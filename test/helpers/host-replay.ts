/**
 * Golden cases of the system sources (MemoryUsage, DiskUsage, Interface, IO, Process): the
 * recorded host trees a case replays, one per probe, with the rate clock moved between probes.
 *
 * A case folder holds either
 * - `proc/` (and optionally `sys/`): one probe of that host, or
 * - `roots.json`: `{ "elapsedMs": 2500, "probes": [{ "proc": "proc-host", "sys": "sys-host" }, ...] }`,
 *   one probe per entry, `elapsedMs` apart. A name is a shared tree under test/fixtures/; one
 *   starting with `./` is a folder of the case itself (`./proc-later`).
 *
 * A probe without a `sys` tree sees a /sys that does not exist (never the live one), so the
 * output depends on the recording only.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { ProbeResult, Source, SourceClass } from "../../src/api.ts"
import type { GoldenCase } from "../conformance/golden.ts"
import { makeSource } from "./context.ts"

const FIXTURES = join(import.meta.dir, "..", "fixtures")

export interface HostRoots {
  proc: string
  sys?: string
}

export interface HostReplay {
  /** Milliseconds the rate clock moves between two probes. */
  elapsedMs: number
  /** Absolute /proc and /sys trees, one pair per probe. */
  probes: { proc: string; sys: string }[]
}

/** The trees a case folder replays (see the file comment). */
export function hostReplay(caseDir: string): HostReplay {
  const resolve = (name: string) => (name.startsWith("./") ? join(caseDir, name) : join(FIXTURES, name))
  const file = join(caseDir, "roots.json")
  if (!existsSync(file)) return { elapsedMs: 0, probes: [{ proc: join(caseDir, "proc"), sys: join(caseDir, "sys") }] }
  const spec = JSON.parse(readFileSync(file, "utf8")) as { elapsedMs?: number; probes: HostRoots[] }
  return {
    elapsedMs: spec.elapsedMs ?? 0,
    probes: spec.probes.map((p) => ({ proc: resolve(p.proc), sys: p.sys ? resolve(p.sys) : join(caseDir, "no-such-sys") })),
  }
}

/** Runs `fn` with POLLECT_PROCFS / POLLECT_SYSFS at the given trees, and puts them back after. */
export async function withRoots<T>(roots: { proc: string; sys: string }, fn: () => T | Promise<T>): Promise<T> {
  const saved = { proc: process.env.POLLECT_PROCFS, sys: process.env.POLLECT_SYSFS }
  process.env.POLLECT_PROCFS = roots.proc
  process.env.POLLECT_SYSFS = roots.sys
  try {
    return await fn()
  } finally {
    for (const [name, value] of [
      ["POLLECT_PROCFS", saved.proc],
      ["POLLECT_SYSFS", saved.sys],
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

/**
 * The golden function of a system source: one source built from the case's config, probed once
 * per recorded tree, its rate clock moved `elapsedMs` between probes.
 */
export async function replayHostCase(cls: SourceClass, testCase: GoldenCase): Promise<ProbeResult[]> {
  const replay = hostReplay(testCase.dir)
  const clock = { now: 1_000_000 }
  const source = makeSource<Source>(cls, testCase.config, { clock })
  const results: ProbeResult[] = []
  for (const [i, roots] of replay.probes.entries()) {
    if (i > 0) clock.now += replay.elapsedMs
    results.push(await withRoots(roots, () => source.probe()))
  }
  await source.close()
  return results
}

/** Points POLLECT_PROCFS (and POLLECT_SYSFS) at the given trees; returns what puts them back (a conformance `failing.setup`). */
export function pointHostAt(proc: string, sys = join(proc, "..", "no-such-sys")): () => void {
  const saved = { proc: process.env.POLLECT_PROCFS, sys: process.env.POLLECT_SYSFS }
  process.env.POLLECT_PROCFS = proc
  process.env.POLLECT_SYSFS = sys
  return () => {
    if (saved.proc === undefined) delete process.env.POLLECT_PROCFS
    else process.env.POLLECT_PROCFS = saved.proc
    if (saved.sys === undefined) delete process.env.POLLECT_SYSFS
    else process.env.POLLECT_SYSFS = saved.sys
  }
}

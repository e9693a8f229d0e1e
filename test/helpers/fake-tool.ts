/**
 * Fake command-line tools (`smartctl`, `sensors`) for tests: a small /bin/sh script per tool in a
 * temp folder that goes first on PATH, replaying recorded outputs by argument list. Each call's
 * arguments are appended to `calls.log` so a test can check what pollect ran.
 */
import { afterEach } from "bun:test"
import { chmodSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "./context.ts"

export interface FakeCase {
  /** A `case` pattern over all arguments joined by spaces: `--scan --json`, `*--json* /dev/sda` (sh glob). */
  args: string
  /** File whose content goes to stdout. */
  stdoutFile?: string
  stderr?: string
  exit?: number
  /** Appends its pid and its child's to `<dir>/hang.pids`, then waits for that child, a `sleep 60`. */
  hang?: boolean
}

export interface FakeTools {
  dir: string
  /** Arguments of every call so far, one line per call. */
  calls(): string[]
  /** Puts `dir` first on PATH; returns the undo. */
  onPath(): () => void
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`

/** Writes `tools` (name → cases, tried in order; no match: exit 64 with a message). */
export function fakeTools(tools: Record<string, FakeCase[]>): FakeTools {
  const dir = tempDir("pollect-fake-tools-")
  const log = join(dir, "calls.log")
  writeFileSync(log, "")
  for (const [tool, cases] of Object.entries(tools)) {
    const arms = cases.map((c) => {
      const body: string[] = []
      if (c.hang) body.push(`sleep 60 & echo "$$ $!" >> ${quote(join(dir, "hang.pids"))}`, "wait")
      if (c.stdoutFile) body.push(`cat ${quote(c.stdoutFile)}`)
      if (c.stderr) body.push(`printf '%s\\n' ${quote(c.stderr)} >&2`)
      body.push(`exit ${c.exit ?? 0}`)
      return `  ${c.args.replace(/ /g, "\\ ")})\n    ${body.join("\n    ")}\n    ;;`
    })
    const script = [
      "#!/bin/sh",
      `# fake ${tool} written by a pollect test`,
      `echo "${tool} $*" >> ${quote(log)}`,
      'case "$*" in',
      ...arms,
      `  *) echo "fake ${tool}: no recorded output for: $*" >&2; exit 64 ;;`,
      "esac",
      "",
    ].join("\n")
    const path = join(dir, tool)
    writeFileSync(path, script)
    chmodSync(path, 0o755)
  }
  return {
    dir,
    calls: () => readFileSync(log, "utf8").split("\n").filter(Boolean),
    onPath: () => {
      const old = process.env.PATH
      process.env.PATH = `${dir}:${old ?? ""}`
      return () => {
        process.env.PATH = old
      }
    },
  }
}

/** The pids hanging fakes wrote, in pairs: each run's script, then its `sleep` child. */
export function hangPids(fake: FakeTools): number[] {
  try {
    return readFileSync(join(fake.dir, "hang.pids"), "utf8").trim().split(/\s+/).map(Number)
  } catch {
    return []
  }
}

/** A process's state letter from /proc (`S`, `R`, `Z` for a zombie) and parent, or undefined when it is gone. */
export function processState(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { state: state!, ppid: Number(ppid) }
  } catch {
    return undefined
  }
}

/**
 * True when the process no longer runs and is not a zombie of ours: gone, or (a grandchild
 * orphaned by the kill) a zombie that init has yet to reap.
 */
export function isDead(pid: number): boolean {
  const stat = processState(pid)
  return stat === undefined || (stat.state === "Z" && stat.ppid !== process.pid)
}

/**
 * One fake `tool` per test, undone after each: `use(cases)` puts a fake first on PATH, `hide()`
 * empties PATH so the tool is missing.
 */
export function fakeToolPerTest(tool: string): { use(cases: FakeCase[]): FakeTools; hide(): void } {
  let undo: (() => void) | undefined
  const reset = () => {
    undo?.()
    undo = undefined
  }
  afterEach(reset)
  return {
    use(cases) {
      reset()
      const fake = fakeTools({ [tool]: cases })
      undo = fake.onPath()
      return fake
    },
    hide() {
      reset()
      const old = process.env.PATH
      process.env.PATH = tempDir()
      undo = () => (process.env.PATH = old)
    },
  }
}

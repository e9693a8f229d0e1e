/** IostatChild with small shell scripts as the tool: lines, exits and their messages, backoff, close. */
import { afterEach, describe, expect, it, setSystemTime } from "bun:test"
import { heapStats } from "bun:jsc"
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import { isDead } from "../../../test/helpers/fake-tool.ts"
import { IostatChild } from "./iostat-child.ts"

/** An executable shell script with `body`. */
function script(body: string): string {
  const path = join(tempDir("pollect-iostat-child-"), "zpool")
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

async function until(what: string, done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(5)
  }
}

const children: IostatChild[] = []
afterEach(async () => {
  setSystemTime()
  for (const child of children.splice(0)) await child.close()
})

/** A child of `path` recording its lines, starts and exits. */
function child(path: string, firstBackoffMs?: number) {
  const lines: string[] = []
  const exits: string[] = []
  let starts = 0
  const made = new IostatChild({
    path,
    args: ["iostat", "-Hp", "1"],
    onLine: (line) => lines.push(line),
    onStart: () => starts++,
    onExit: (message) => exits.push(message),
    firstBackoffMs,
  })
  children.push(made)
  return { made, lines, exits, starts: () => starts }
}

describe("IostatChild", () => {
  it("hands over whole lines, however the output is split; the pid while it runs", async () => {
    const { made, lines } = child(script("printf 'a\\tb'; sleep 0.1; printf 'c\\nd\\n\\n'; printf 'e'; exec sleep 30"))
    expect(made.pid).toBeUndefined()
    made.ensure()
    expect(made.pid).toBeGreaterThan(0)
    await until("three lines", () => lines.length >= 3)
    expect(lines).toEqual(["a\tbc", "d", ""])
    expect(made.linesRead).toBe(3)
    made.ensure()
    expect(made.starts).toBe(1)
  })

  it("a line of 8192 characters is kept, a longer one dropped up to its newline", async () => {
    const { made, lines } = child(
      script(`head -c 8192 /dev/zero | tr '\\0' x; echo; head -c 20000 /dev/zero | tr '\\0' y; echo; echo after; exec sleep 30`),
    )
    made.ensure()
    await until("the line after", () => lines.includes("after"))
    expect(lines.map((line) => `${line[0]}${line.length}`)).toEqual(["x8192", "a5"])
  })

  it("a longer line that arrives in parts is dropped whole: its short tail after the first 8192 characters is no line", async () => {
    const { made, lines } = child(script(`head -c 9000 /dev/zero | tr '\\0' y; sleep 0.2; printf zzz; echo; echo after; exec sleep 30`))
    made.ensure()
    await until("the line after", () => lines.includes("after"))
    expect(lines).toEqual(["after"])
  })

  it("a line without end is not kept: 64 MB without a newline leave the heap as it was", async () => {
    const dir = tempDir("pollect-iostat-child-")
    const written = join(dir, "written")
    const { made, lines } = child(script(`head -c 67108864 /dev/zero | tr '\\0' y; touch '${written}'; exec sleep 30`), 60_000)
    Bun.gc(true)
    const before = heapStats().heapSize
    made.ensure()
    await until("the 64 MB written", () => existsSync(written), 20_000)
    await Bun.sleep(100) // the pipe's last 64 KB read
    Bun.gc(true)
    expect(heapStats().heapSize - before).toBeLessThan(16 * 1024 * 1024)
    expect(lines).toEqual([])
  })

  it("an exit names the code and the last of stderr, trimmed; lastExit until the next line", async () => {
    const { made, exits } = child(script("echo '  no pools  ' >&2; exit 3"), 60_000)
    made.ensure()
    await until("the exit", () => exits.length === 1)
    expect(exits).toEqual(["zpool iostat exited with code 3: no pools"])
    expect(made.lastExit).toBe("zpool iostat exited with code 3: no pools")
    const quiet = child(script("exit 0"), 60_000)
    quiet.made.ensure()
    await until("the exit", () => quiet.exits.length === 1)
    expect(quiet.exits).toEqual(["zpool iostat exited with code 0"])
  })

  it("keeps the last 1024 characters of stderr", async () => {
    const { made, exits } = child(script("head -c 3000 /dev/zero | tr '\\0' a >&2; printf 'END' >&2; exit 1"), 60_000)
    made.ensure()
    await until("the exit", () => exits.length === 1)
    const text = exits[0]!.replace("zpool iostat exited with code 1: ", "")
    expect(text).toHaveLength(1024)
    expect(text.endsWith("aaaEND")).toBe(true)
  })

  it("a tool that cannot start is an exit with the reason, restarted later", async () => {
    const { made, exits, starts } = child("/nonexistent/zpool", 60_000)
    made.ensure()
    expect(exits).toHaveLength(1)
    expect(exits[0]).toStartWith("cannot start /nonexistent/zpool: ")
    expect(made.lastExit).toBe(exits[0])
    expect([made.starts, starts()]).toEqual([1, 0])
    // A restart is pending: ensure() does not start another now.
    made.ensure()
    expect(made.starts).toBe(1)
  })

  it("restarts back off: doubled per quick exit up to 5 minutes, back to the first after a healthy run", async () => {
    const realSet = globalThis.setTimeout
    const delays: number[] = []
    // Restart timers fire at once here; their delays are recorded.
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      if ((ms ?? 0) >= 1000) {
        delays.push(ms!)
        return realSet(fn, 0)
      }
      return realSet(fn, ms)
    }) as typeof setTimeout
    try {
      const { made } = child(script("exit 1"), 100_000)
      made.ensure()
      await until("four restarts", () => delays.length >= 4)
      await made.close()
      expect(delays.slice(0, 4)).toEqual([100_000, 200_000, 300_000, 300_000])
      delays.length = 0
      // The clock stands still (setSystemTime) but where the test moves it.
      const t0 = Date.now()
      setSystemTime(new Date(t0))
      const healthy = child(script("sleep 0.3; exit 1"), 100_000)
      healthy.made.ensure()
      await until("the first exit and the restart", () => delays.length >= 1 && healthy.made.starts === 2)
      // The second run lasts exactly a minute: its exit restarts after the first delay again.
      setSystemTime(new Date(t0 + 60_000))
      await until("the second exit", () => delays.length >= 2)
      await healthy.made.close()
      expect(delays.slice(0, 2)).toEqual([100_000, 100_000])
    } finally {
      globalThis.setTimeout = realSet
    }
  })

  it("close() stops a pending restart and kills a running child; no restart after, no onExit", async () => {
    const quick = child(script("exit 1"), 200)
    quick.made.ensure()
    await until("the exit", () => quick.exits.length === 1)
    await quick.made.close()
    await Bun.sleep(400)
    expect(quick.made.starts).toBe(1)
    const running = child(script("exec sleep 30"), 50)
    running.made.ensure()
    await running.made.close()
    await Bun.sleep(200)
    expect(running.exits).toEqual([])
    expect(running.made.starts).toBe(1)
    running.made.ensure()
    expect(running.made.starts).toBe(1)
  })
})

describe("IostatChild: its process group and its pipes", () => {
  it("close() kills what the tool started too (its process group)", async () => {
    const pidFile = join(tempDir("pollect-iostat-child-"), "grandchild.pid")
    const { made } = child(script(`sleep 30 & echo $! > '${pidFile}'; exec sleep 30`), 60_000)
    made.ensure()
    await until("the grandchild", () => {
      try {
        return readFileSync(pidFile, "utf8").trim() !== ""
      } catch {
        return false
      }
    })
    const grandchild = Number(readFileSync(pidFile, "utf8"))
    await made.close()
    await until("the grandchild's end", () => isDead(grandchild), 3000)
  })

  it("every line printed before the exit is handed over before the exit is reported", async () => {
    const events: string[] = []
    const made = new IostatChild({
      path: script("seq 1 60000; exit 0"),
      args: [],
      onLine: () => {},
      onStart: () => {},
      onExit: () => events.push(`exit after ${made.linesRead} lines`),
      firstBackoffMs: 60_000,
    })
    children.push(made)
    made.ensure()
    await until("the exit", () => events.length === 1)
    expect(events).toEqual(["exit after 60000 lines"])
  })

  it("stderr held open by a process in another session: the exit is reported after 1 s, without stderr's text", async () => {
    const pidFile = join(tempDir("pollect-iostat-child-"), "session.pid")
    const { made, exits } = child(script(`echo early >&2; setsid sleep 5 & echo $! > '${pidFile}'; sleep 0.3; exit 2`), 60_000)
    const started = Date.now()
    made.ensure()
    await until("the exit", () => exits.length === 1, 4000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900) // the 1 s wait for the pipes
    expect(exits).toEqual(["zpool iostat exited with code 2"])
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL")
  })

  it("a UTF-8 character split between two writes stays whole, on stdout and on stderr", async () => {
    const { made, lines, exits } = child(
      script("printf '\\303'; printf '\\303' >&2; sleep 0.2; printf '\\251t\\n'; printf '\\251e' >&2; sleep 0.2; exit 1"),
      60_000,
    )
    made.ensure()
    await until("the exit", () => exits.length === 1)
    expect(lines).toEqual(["\u00e9t"])
    expect(exits).toEqual(["zpool iostat exited with code 1: \u00e9e"])
  })
})

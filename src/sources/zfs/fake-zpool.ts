/**
 * A fake `zpool` for tests, first on PATH: `zpool iostat ...` replays a recorded file and then
 * stays alive (as the real one with an interval does), or reads a FIFO the test writes lines
 * into (`feed()`), so the test decides when each report arrives and when the child ends;
 * `zpool list ...` prints a recorded file. Every call's arguments go to `calls.log`.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface FakeZpoolOptions {
  /** A recorded `zpool iostat -Hp` output, replayed at once; absent: lines come from `feed()`. */
  iostatFile?: string
  /** A recorded `zpool list -H -o name,health` output; absent: `zpool list` fails. */
  listFile?: string
  /** `zpool iostat` prints this to stderr and exits 1 (a broken ZFS install). */
  iostatFails?: string
}

export interface FakeZpool {
  dir: string
  calls(): string[]
  /** Writes lines to the FIFO the running `zpool iostat` reads (opened on first use). */
  feed(lines: string[]): void
  /** Closes the test's end of the FIFO: the fake `zpool iostat` sees EOF and exits 0. */
  endFeed(): void
  /** Puts the fake first on PATH; returns the undo. */
  onPath(): () => void
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`

export function fakeZpool(options: FakeZpoolOptions): FakeZpool {
  const dir = mkdtempSync(join(tmpdir(), "pollect-fake-zpool-"))
  const bin = join(dir, "bin")
  mkdirSync(bin)
  const log = join(dir, "calls.log")
  const fifo = join(dir, "feed")
  writeFileSync(log, "")
  if (!options.iostatFile && !options.iostatFails) {
    const made = Bun.spawnSync(["mkfifo", fifo])
    if (made.exitCode !== 0) throw new Error(`mkfifo failed: ${made.stderr}`)
  }
  const iostat = options.iostatFails
    ? [`printf '%s\\n' ${quote(options.iostatFails)} >&2`, "exit 1"]
    : options.iostatFile
      ? [`cat ${quote(options.iostatFile)}`, "exec sleep 60"]
      : [`exec cat ${quote(fifo)}`]
  const list = options.listFile ? [`cat ${quote(options.listFile)}`, "exit 0"] : ["echo 'fake zpool: no list recorded' >&2", "exit 1"]
  const script = [
    "#!/bin/sh",
    `echo "zpool $*" >> ${quote(log)}`,
    'case "$1" in',
    `  iostat)\n    ${iostat.join("\n    ")}\n    ;;`,
    `  list)\n    ${list.join("\n    ")}\n    ;;`,
    '  *) echo "fake zpool: unknown command $1" >&2; exit 2 ;;',
    "esac",
    "",
  ].join("\n")
  writeFileSync(join(bin, "zpool"), script)
  chmodSync(join(bin, "zpool"), 0o755)
  let fd: number | undefined
  return {
    dir,
    calls: () => readFileSync(log, "utf8").split("\n").filter(Boolean),
    feed(lines) {
      // O_RDWR on a FIFO does not wait for a reader (Linux), so the event loop never blocks here.
      fd ??= openSync(fifo, "r+")
      writeSync(fd, lines.map((line) => line + "\n").join(""))
    },
    endFeed() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
    onPath() {
      const old = process.env.PATH
      process.env.PATH = `${bin}:${old ?? ""}`
      return () => {
        process.env.PATH = old
      }
    },
  }
}

import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import { writeTo } from "./stdio.ts"

const ROOT = join(import.meta.dir, "../..")

/** Runs `code` in a fresh bun process (cwd: the repo), with its stdout and stderr as pipes. */
function child(code: string) {
  return Bun.spawn([process.execPath, "-e", code], { cwd: ROOT, stdout: "pipe", stderr: "pipe" })
}

describe("writeStdout and writeStderr, in a real process", () => {
  it("write every byte to fd 1 and fd 2, a megabyte at once included", async () => {
    const proc = child(`import { writeStdout, writeStderr } from "./src/core/stdio.ts"
writeStdout("x".repeat(1 << 20) + "\\n")
writeStderr("é to stderr\\n")
writeStdout("last\\n")`)
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect(code).toBe(0)
    expect(out.length).toBe((1 << 20) + 1 + "last\n".length)
    expect(out.endsWith("x\nlast\n")).toBe(true)
    expect(err).toBe("é to stderr\n")
  })

  it("ends the process with 0 when the reader of stdout went away (pollect --dry-run | head)", async () => {
    const proc = child(`import { writeStdout, writeStderr } from "./src/core/stdio.ts"
for (let i = 0; ; i++) { writeStdout("line " + i + "\\n"); if (i === 100000) writeStderr("still running\\n") }`)
    const reader = proc.stdout.getReader()
    await reader.read()
    await reader.cancel()
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited])
    expect(code).toBe(0)
    expect(err).not.toContain("EPIPE")
  })

  it("drops a stderr line whose reader went away, and goes on", async () => {
    const proc = Bun.spawn(
      [
        process.execPath,
        "-e",
        `import { writeStdout, writeStderr } from "./src/core/stdio.ts"
await Bun.sleep(200)
for (let i = 0; i < 1000; i++) writeStderr("lost " + i + "\\n")
writeStdout("done\\n")`,
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    )
    await proc.stderr.cancel()
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
    expect({ out, code }).toEqual({ out: "done\n", code: 0 })
  })

  it("DryRun prints to the real stdout by default", async () => {
    const proc = child(`import { DryRunWriter } from "./src/writers/dry-run/index.ts"
new DryRunWriter({ type: "DryRun" }, {} as never).out("('pollect.loadavg.short', (1, 0.5))")`)
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
    expect({ out, code }).toEqual({ out: "('pollect.loadavg.short', (1, 0.5))\n", code: 0 })
  })
})

describe("writeTo", () => {
  it("writes again after a short write, from where it stopped", () => {
    const chunks: string[] = []
    const lengths: number[] = []
    const write = ((_fd: number, bytes: Uint8Array, offset: number, length: number) => {
      lengths.push(length)
      const n = Math.min(3, length)
      chunks.push(Buffer.from(bytes.subarray(offset, offset + n)).toString())
      return n
    }) as never
    writeTo(1, "abcdefgh", write)
    expect(chunks).toEqual(["abc", "def", "gh"])
    // What is left each time, never more (writeSync throws on a length past the buffer's end).
    expect(lengths).toEqual([8, 5, 2])
  })

  it("a socket whose reader closed (ECONNRESET) is a reader gone too: stdout ends with 0, stderr drops the line", async () => {
    const proc = child(`import { writeTo } from "./src/core/stdio.ts"
const reset = () => {
  throw Object.assign(new Error("ECONNRESET: connection reset by peer, write"), { code: "ECONNRESET" })
}
writeTo(2, "lost\\n", reset)
process.stderr.write("after stderr;")
writeTo(1, "lost\\n", reset)
process.stderr.write("not reached")`)
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect({ out, err, code }).toEqual({ out: "", err: "after stderr;", code: 0 })
  })

  it("throws other errors than EPIPE and EAGAIN (a closed descriptor is a bug to see)", () => {
    const write = (() => {
      throw Object.assign(new Error("EBADF: bad file descriptor"), { code: "EBADF" })
    }) as never
    expect(() => writeTo(2, "x", write)).toThrow("EBADF")
  })

  it("after EAGAIN (a non-blocking descriptor) hands the rest, then every later line, to Node's stream in order", async () => {
    const proc = child(`import { writeSync } from "node:fs"
import { writeTo } from "./src/core/stdio.ts"
let calls = 0
const write = (fd, bytes, offset, length) => {
  calls++
  if (calls === 1) return writeSync(fd, bytes, offset, 2)
  throw Object.assign(new Error("EAGAIN"), { code: "EAGAIN" })
}
writeTo(1, "abcdef\\n", write)
writeTo(1, "second\\n", write)
writeTo(1, "third\\n")
process.stderr.write(String(calls))`)
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    // The first 2 bytes went by write(2); the rest and the later lines through process.stdout, in order.
    expect({ out, err, code }).toEqual({ out: "abcdef\nsecond\nthird\n", err: "2", code: 0 })
  })
  it("after EAGAIN on stderr the rest goes to Node's stderr stream, not stdout", async () => {
    const proc = child(`import { writeTo } from "./src/core/stdio.ts"
const write = () => {
  throw Object.assign(new Error("EAGAIN"), { code: "EAGAIN" })
}
writeTo(2, "to stderr\\n", write)`)
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect({ out, err, code }).toEqual({ out: "", err: "to stderr\n", code: 0 })
  })
})

/**
 * A Graphite `host` is a name or an address, never credentials: `user:password@carbon` is
 * rejected when the config is validated, by path and without echoing the value, and nothing the
 * writer logs can carry it.
 */
import { describe, expect, it } from "bun:test"
import type { Logger } from "../../core/log.ts"
import { validateConfig } from "../../config/schema.ts"
import { builtinRegistry } from "../../registry.ts"
import { writerContext } from "../../../test/helpers/context.ts"
import { GraphiteWriter, maskUserinfo, type GraphiteOptions } from "./index.ts"

const SECRET = "s3cret-Pw"
const HOSTS = [`carbon:${SECRET}@127.0.0.1`, `graphite://carbon:${SECRET}@127.0.0.1`, `${SECRET}@localhost`]

function problemsOf(writer: Record<string, unknown>): string[] {
  const checked = validateConfig({ writer, executors: [{ sources: [{ type: "LoadAvg" }] }] }, builtinRegistry())
  return "problems" in checked ? checked.problems : []
}

function recordingLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
    child: () => log,
  }
  return log
}

describe("Graphite host", () => {
  for (const host of HOSTS) {
    it(`rejects credentials in host at config validation, by path, without the value (${host.replace(SECRET, "…")})`, () => {
      const problems = problemsOf({ type: "Graphite", host, picklePort: 2004 })
      expect(problems).toEqual([
        "writer (Graphite): host: must be a host name or address only: it contains credentials (user:password@), which carbon does not take; remove them",
      ])
      expect(problems.join("\n")).not.toContain(SECRET)
    })

    it(`a writer built with such a host never logs the password (${host.replace(SECRET, "…")})`, async () => {
      const lines: string[] = []
      let thrown = ""
      try {
        const writer = new GraphiteWriter({ type: "Graphite", host, picklePort: 1 } as GraphiteOptions & { type: string }, {
          ...writerContext({ log: recordingLogger(lines) }),
        })
        writer.start()
        // Give the connection attempt time to fail and be logged.
        for (let i = 0; i < 200 && !lines.some((line) => line.includes("cannot connect")); i++) await Bun.sleep(10)
        await writer.stop(100)
      } catch (error) {
        thrown = String(error)
      }
      expect(thrown).not.toContain(SECRET)
      for (const line of lines) expect(line).not.toContain(SECRET)
      // It is refused outright: nothing ran, nothing was logged.
      expect(thrown).toContain("credentials")
      expect(lines).toEqual([])
    })
  }

  it("rejects a URL as host, and accepts names and addresses as before", () => {
    expect(problemsOf({ type: "Graphite", host: "tcp://carbon" })).toEqual([
      "writer (Graphite): host: must be a host name or address only, not a URL (set the port with picklePort or plaintextPort)",
    ])
    for (const host of ["localhost", "carbon.example.net", "10.0.0.5", "::1", "fe80::1%eth0"])
      expect(problemsOf({ type: "Graphite", host })).toEqual([])
  })

  it("maskUserinfo masks whatever precedes the last @, keeping a scheme", () => {
    expect(maskUserinfo("carbon.example.net")).toBe("carbon.example.net")
    expect(maskUserinfo(`u:${SECRET}@carbon`)).toBe("***@carbon")
    expect(maskUserinfo(`tcp://u:${SECRET}@carbon`)).toBe("tcp://***@carbon")
    expect(maskUserinfo(`u:p@x@carbon`)).toBe("***@carbon")
  })
})

import { describe, expect, it } from "bun:test"
import { createLogger, errorMessage, redact, registerSecret, secretsSnapshot } from "./log.ts"
import { resolveConfig } from "../config/index.ts"
import { builtinRegistry } from "../registry.ts"

describe("log", () => {
  it("filters by level and scopes child loggers", () => {
    const lines: string[] = []
    const log = createLogger({ level: "warn", write: (l) => lines.push(l) })
      .child("a")
      .child("b")
    log.info("hidden")
    log.warn("shown")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}\[a\.b\] shown$/)
  })

  it("masks registered secrets in every line", () => {
    const lines: string[] = []
    registerSecret("hunter2-pw")
    createLogger({ write: (l) => lines.push(l) }).error("login to http://admin:hunter2-pw@box failed")
    expect(lines[0]).toContain("http://admin:***@box")
  })

  it("a secret that contains another is masked whole, whichever was registered first", () => {
    registerSecret("t0k")
    registerSecret("s3cr3t-t0ken-from-env")
    expect(redact("Bearer s3cr3t-t0ken-from-env and t0k")).toBe("Bearer *** and ***")
    registerSecret("pass-9x")
    registerSecret("pass-9x-and-more")
    expect(redact("pass-9x-and-more, pass-9x")).toBe("***, ***")
  })

  it("a secret shorter than 3 characters is not masked (it would mask too much); one of 3 is", () => {
    registerSecret("#%")
    registerSecret("~^!")
    expect(redact("a #% b ~^! c")).toBe("a #% b *** c")
  })

  it("secrets from the config are registered when it loads", async () => {
    await resolveConfig(
      { executors: [{ sources: [{ type: "TcpTime", host: "h", port: 1, password: "xyzzy-secret" }] }] },
      builtinRegistry(),
    )
    const lines: string[] = []
    createLogger({ write: (l) => lines.push(l) }).warn("got xyzzy-secret back")
    expect(lines[0]).toContain("got *** back")
  })

  it("the password of a URL anywhere in the config is masked, as written and decoded", async () => {
    await resolveConfig({ executors: [{ sources: [{ type: "Http", url: "http://admin:plugh%40pw@127.0.0.1:1/" }] }] }, builtinRegistry())
    const lines: string[] = []
    const log = createLogger({ write: (l) => lines.push(l) })
    log.warn("GET http://admin:plugh%40pw@127.0.0.1:1/ failed")
    log.warn("as user admin with plugh@pw")
    expect(lines[0]).toContain("http://admin:***@127.0.0.1:1/")
    expect(lines[1]).toContain("with ***")
  })
})

describe("paths inside the compiled binary", () => {
  it("are not shown: /$bunfs/root/pollect is just pollect", () => {
    const lines: string[] = []
    createLogger({ write: (l) => lines.push(l) }).error("Cannot find module './x' from '/$bunfs/root/pollect'")
    expect(lines[0]).toEndWith("Cannot find module './x' from 'pollect'")
    expect(redact("at B:\\~BUN\\root\\pollect.exe")).toBe("at pollect.exe")
  })
})

describe("defaults, levels and errors", () => {
  it("without a level a logger writes info and above, not debug; at debug every level, named", () => {
    const lines: string[] = []
    const info = createLogger({ write: (l) => lines.push(l) })
    info.debug("not shown")
    info.info("shown")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/ INFO {2}shown$/)
    const all: string[] = []
    const debug = createLogger({ level: "debug", write: (l) => all.push(l) })
    debug.debug("d")
    debug.info("i")
    debug.warn("w")
    debug.error("e")
    expect(all.map((l) => l.split(" ").slice(1).join(" "))).toEqual(["DEBUG d", "INFO  i", "WARN  w", "ERROR e"])
  })

  it("a restored snapshot forgets the secrets registered after it", () => {
    const restore = secretsSnapshot()
    registerSecret("snap-only-9q")
    expect(redact("x snap-only-9q")).toBe("x ***")
    restore()
    expect(redact("x snap-only-9q")).toBe("x snap-only-9q")
  })

  it("errorMessage: the message and its cause's, no stack; anything else as a string", () => {
    expect(errorMessage(new Error("connect failed", { cause: new Error("ECONNREFUSED 127.0.0.1:1") }))).toBe(
      "connect failed: ECONNREFUSED 127.0.0.1:1",
    )
    expect(errorMessage(new Error("plain", { cause: "not an error" }))).toBe("plain")
    expect(errorMessage("a string thrown")).toBe("a string thrown")
    expect(errorMessage(42)).toBe("42")
    expect(errorMessage({ cause: new Error("x") })).toBe("[object Object]")
  })

  it("by default lines go to stderr, one per line; silentLogger writes nothing", () => {
    const script = `import { createLogger, silentLogger } from ${JSON.stringify(new URL("./log.ts", import.meta.url).pathname)}
silentLogger.error("silent one")
const log = createLogger()
log.info("first")
log.warn("second")`
    const child = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" })
    expect(child.exitCode).toBe(0)
    expect(child.stdout.toString()).toBe("")
    const lines = child.stderr.toString().split("\n")
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}first$/)
    expect(lines[1]).toMatch(/ WARN {2}second$/)
    expect(lines[2]).toBe("")
  })
})

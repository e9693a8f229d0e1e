/**
 * The status page in a real browser: Debian's chromium, headless, driven by playwright-core (no
 * browser download), against a pollect started by the test with sources that work, one that
 * fails, and a Graphite writer whose carbon is down. A screenshot lands in test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Subprocess } from "bun"
import { tempDir } from "../../test/helpers/context.ts"
import { freePort } from "../../test/helpers/processes.ts"
import { findTool, itWithTools } from "../../test/helpers/tools.ts"
import type { StatusDocument } from "./status-document.ts"

const ROOT = join(import.meta.dir, "../..")
const ARTIFACTS = join(ROOT, "test/artifacts")
const USER = "watcher"
const PASSWORD = "status-pw-7781"
/** The page of this config (6 sources' worth of values) must stay under this, uncompressed. */
const PAGE_BUDGET_BYTES = 40_000

let pollect: Subprocess | undefined
let port = 0
const auth = { authorization: `Basic ${btoa(`${USER}:${PASSWORD}`)}` }

async function statusDoc(): Promise<StatusDocument | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status.json`, { headers: auth })
    return response.ok ? ((await response.json()) as StatusDocument) : undefined
  } catch {
    return undefined
  }
}

beforeAll(async () => {
  const dir = tempDir("pollect-status-page-")
  port = freePort()
  const closed = freePort()
  const config = {
    tickTime: 1,
    status: { port, basicAuth: { user: USER, passwordHash: Bun.password.hashSync(PASSWORD, { algorithm: "bcrypt", cost: 4 }) } },
    executors: [
      {
        collection: "home",
        sources: [
          { type: "LoadAvg" },
          { type: "MemoryUsage" },
          { type: "Certificate", name: "router", url: `https://127.0.0.1:${closed}`, timeout: 1 },
        ],
        writer: { type: "Graphite", host: "127.0.0.1", picklePort: closed },
      },
    ],
  }
  writeFileSync(join(dir, "config.json"), JSON.stringify(config))
  pollect = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "--config", join(dir, "config.json")], {
    stdout: "ignore",
    stderr: "pipe",
  })
  const end = Date.now() + 15_000
  for (;;) {
    const doc = await statusDoc()
    if (doc?.sources.every((s) => s.probes >= 2)) break
    if (Date.now() > end) throw new Error("pollect's status page did not come up with probed sources within 15 s")
    await Bun.sleep(100)
  }
})

afterAll(async () => {
  pollect?.kill("SIGTERM")
  await pollect?.exited
})

describe("the status page in a browser", () => {
  itWithTools(
    ["chromium"],
    "shows each source's state, the failing one's error, values and sparklines, the writer backing off; no console error, no other request, within its budget",
    async () => {
      const { chromium } = await import("playwright-core")
      const browser = await chromium.launch({ executablePath: findTool("chromium") as string, args: ["--no-sandbox"] })
      try {
        const context = await browser.newContext({
          httpCredentials: { username: USER, password: PASSWORD },
          viewport: { width: 420, height: 900 },
        })
        const page = await context.newPage()
        const problems: string[] = []
        page.on("console", (message) => {
          if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`)
        })
        page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`))
        const requests: string[] = []
        page.on("request", (request) => requests.push(request.url()))
        const response = await page.goto(`http://127.0.0.1:${port}/`)
        expect(response?.status()).toBe(200)
        const body = await response?.body()
        expect(body?.length).toBeLessThan(PAGE_BUDGET_BYTES)

        const state = (selector: string) => page.getAttribute(selector, "data-state")
        expect(await state('[data-source="executors[0].sources[0]"]')).toBe("ok")
        expect(await state('[data-source="executors[0].sources[1]"]')).toBe("ok")
        expect(await state('[data-source="executors[0].sources[2]"]')).toBe("failing")
        const failing = await page.textContent('[data-source="executors[0].sources[2]"]')
        expect(failing).toContain("Certificate “router”")
        expect(failing).toContain("failing since")
        expect(failing).toMatch(/refused/i)
        const memory = await page.textContent('[data-source="executors[0].sources[1]"]')
        expect(memory).toMatch(/\d(\.\d+)? GiB/) // bytes shown with their unit
        expect(await page.locator('[data-source="executors[0].sources[0]"] svg.spark').count()).toBe(3)
        expect(await state('[data-writer="Graphite"]')).toBe("retrying")
        expect(await page.textContent('[data-writer="Graphite"]')).toContain("cannot connect")
        expect(await page.textContent("#sources-ok")).toBe("2 source(s) ok")
        expect(await page.textContent("#sources-failing")).toBe("1 failing")
        // Readable on a phone: nothing wider than the screen but the tables' own scroll boxes.
        // (A string: this runs in the browser, whose `document` the test's types do not know.)
        const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth")
        expect(overflow).toBeLessThanOrEqual(0)

        mkdirSync(ARTIFACTS, { recursive: true })
        await page.screenshot({ path: join(ARTIFACTS, "status-page.png"), fullPage: true })
        expect(problems).toEqual([])
        expect(requests).toEqual([`http://127.0.0.1:${port}/`])
      } finally {
        await browser.close()
      }
    },
    60_000,
  )
})

describe("the status server", () => {
  itWithTools([], "wants its credentials, serves /status.json (gzip when asked), and 404s anything else", async () => {
    expect((await fetch(`http://127.0.0.1:${port}/status.json`)).status).toBe(401)
    expect((await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Basic ${btoa(`${USER}:wrong`)}` } })).status).toBe(401)
    const gz = await fetch(`http://127.0.0.1:${port}/status.json?history=1`, {
      headers: { ...auth, "accept-encoding": "gzip" },
      decompress: false,
    } as RequestInit)
    expect(gz.headers.get("content-encoding")).toBe("gzip")
    const doc = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer())))) as StatusDocument
    expect(doc.sources.map((s) => s.type)).toEqual(["LoadAvg", "MemoryUsage", "Certificate"])
    expect(doc.sources[0]?.values[0]?.history?.filter((v) => v !== null).length).toBeGreaterThanOrEqual(1)
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: auth })).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: auth })).status).toBe(405)
  })

  itWithTools([], "`pollect status` prints the tables and exits 1 while a source fails; 2 when nothing answers", async () => {
    const cli = Bun.spawnSync([
      process.execPath,
      join(ROOT, "src/main.ts"),
      "status",
      "--url",
      `http://${USER}:${PASSWORD}@127.0.0.1:${port}/`,
    ])
    const out = cli.stdout.toString()
    expect(cli.exitCode).toBe(1)
    expect(out).toMatch(/failing\s+Certificate "router"\s+home/)
    expect(out).toMatch(/ok\s+LoadAvg\s+home/)
    expect(out).toMatch(/retrying\s+Graphite\s+127\.0\.0\.1:\d+ \(pickle\)/)
    expect(out).not.toContain(PASSWORD)
    const noAuth = Bun.spawnSync([process.execPath, join(ROOT, "src/main.ts"), "status", "--url", `http://127.0.0.1:${port}/`])
    expect(noAuth.exitCode).toBe(2)
    expect(noAuth.stderr.toString()).toContain("wants credentials")
    const down = Bun.spawnSync([process.execPath, join(ROOT, "src/main.ts"), "status", "--url", `http://127.0.0.1:${freePort()}/`])
    expect(down.exitCode).toBe(2)
    expect(down.stderr.toString()).toContain('is pollect running with a "status" section')
  })
})

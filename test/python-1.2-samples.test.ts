/**
 * pollect 1.2's own samples (its README's YAML and JSON blocks, its pollect.json; copied into
 * test/fixtures/configs/python-1.2/, see its README.md) pass `pollect check` except for the
 * sources and writers that other issues port. Nothing else may be a problem: when one of those
 * lands, its entry below goes and the test gets stricter.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { ConfigError } from "../src/config/errors.ts"
import { resolveConfig } from "../src/config/index.ts"
import { parseConfigText } from "../src/config/load.ts"
import { builtinRegistry } from "../src/registry.ts"
import { secretsSnapshot } from "../src/core/log.ts"

// The samples' passwords are words such as `password`: masked in every log line once loaded.
let restoreSecrets: () => void = () => {}
beforeAll(() => {
  restoreSecrets = secretsSnapshot()
})
afterAll(() => restoreSecrets())

const DIR = join(import.meta.dir, "fixtures/configs/python-1.2")

/** Types of 1.2 that other issues port; until then "unknown type" is their only expected problem. */
const OTHER_ISSUES_SOURCES: string[] = []
const OTHER_ISSUES_WRITERS: string[] = []
/** Of those, the ones the samples use. */
const SEEN_UNKNOWN: string[] = []

/**
 * Keys of sources that exist, being added right now by the engineers of SnmpGet (`oid`, `range`)
 * and Http (a list of `url`s, `statusCode`, `proxy`): expected for now; delete a line when its
 * key lands (the test then fails until it is deleted, so it cannot go stale unnoticed).
 */
const EXPECTED_FOR_NOW: RegExp[] = [
  // None today: readme-02.yml's SnmpGet `oid` and `range` and pollect.json's Http load already.
]

/**
 * Mistakes in 1.2's own pollect.json, which this port reports at load on purpose (1.2 fails on
 * them too, only later):
 * - SmartCtl's `devices` pattern `sd[a-z}+$` is a typo: 1.2's `re.match` raises "unterminated
 *   character set" when the source is built;
 * (MMI's `vin` and HomematicIp's `authToken`/`accessPoint` are empty placeholders there: they
 *   load, as the issue asks, and the probe fails saying what is missing.)
 */
const SAMPLE_MISTAKES: RegExp[] = [/^executors\[2\]\.sources\[6\] \(SmartCtl\): devices\[0\]: invalid regular expression "sd\[a-z\}\+\$"/]

/** A README block is often a part of a config: one source, a list of sources, or `writers:`. */
function wholeConfig(fragment: unknown): unknown {
  if (Array.isArray(fragment)) return { executors: [{ sources: fragment }] }
  const object = fragment as Record<string, unknown>
  if (typeof object.type === "string") return { executors: [{ sources: [object] }] }
  if (!("executors" in object)) return { executors: [], ...object }
  return object
}

const env = { HOME: "/home/user", AUTH_PASS: "auth-secret", PRIV_PASS: "priv-secret" }

async function problemsOf(file: string): Promise<string[]> {
  const raw = wholeConfig(parseConfigText(readFileSync(join(DIR, file), "utf8"), file))
  try {
    await resolveConfig(raw, builtinRegistry(), { env })
    return []
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems
  }
}

const unknownType = (problem: string) => {
  const match = /: unknown (source|writer) type "([^"]+)"/.exec(problem)
  if (!match) return false
  return (match[1] === "source" ? OTHER_ISSUES_SOURCES : OTHER_ISSUES_WRITERS).includes(match[2]!)
}

const FILES = [
  "pollect.json",
  ...Array.from({ length: 10 }, (_, i) => `readme-${String(i + 1).padStart(2, "0")}.${i === 2 ? "json" : "yml"}`),
]

describe("pollect 1.2's own samples", () => {
  for (const file of FILES) {
    it(`${file}: no problem but the types other issues port`, async () => {
      const problems = await problemsOf(file)
      const allowed = [...EXPECTED_FOR_NOW, ...SAMPLE_MISTAKES]
      expect(problems.filter((p) => !unknownType(p) && !allowed.some((re) => re.test(p)))).toEqual([])
    })
  }

  it("every expected-for-now problem and sample mistake still occurs (delete its line when its key lands)", async () => {
    const all = (await Promise.all(FILES.map(problemsOf))).flat()
    expect([...EXPECTED_FOR_NOW, ...SAMPLE_MISTAKES].filter((re) => !all.some((p) => re.test(p))).map(String)).toEqual([])
  })

  it("the unknown types among them are exactly these (one that is ported leaves the list)", async () => {
    const all = (await Promise.all(FILES.map(problemsOf))).flat()
    const types = [...new Set(all.filter(unknownType).map((p) => /type "([^"]+)"/.exec(p)![1]))].sort()
    expect(types).toEqual(SEEN_UNKNOWN)
  })
})

describe("1.2's empty placeholders", () => {
  it("load, and the probe says what is missing", async () => {
    const { makeSource } = await import("./helpers/context.ts")
    const { MMISource } = await import("../src/sources/mmi/index.ts")
    const { HomematicIpSource } = await import("../src/sources/homematic-ip/index.ts")
    const mmi = makeSource<InstanceType<typeof MMISource>>(MMISource, { type: "MMI", vin: "", credentials: "x.json" })
    await expect(mmi.probe()).rejects.toThrow("vin is empty: set the VIN of the car in the config")
    const hmip = makeSource<InstanceType<typeof HomematicIpSource>>(HomematicIpSource, {
      type: "HomematicIp",
      authToken: "",
      accessPoint: "",
    })
    await expect(hmip.probe()).rejects.toThrow("authToken and accessPoint empty: set them in the config")
  })
})

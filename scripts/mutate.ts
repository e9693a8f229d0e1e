/**
 * `npm run mutate -- <path> [<path>...] [--integration] [--deep] [--tests a,b] [--without a,b] [--list]`:
 * mutation testing of one part (a file such as `src/core/rate.ts` or a folder such as
 * `src/sources/load-avg`) with StrykerJS and its command test runner.
 *
 * It finds the test files that cover the part (the part's folder's `*.test.ts`, and every test
 * file that imports one of its files), writes a Stryker config that mutates only the part and
 * whose command runs only those tests (`bun test --timeout=60000 --bail <files>`), runs Stryker
 * (node) and prints the score and the surviving mutants. `*.integration.test.ts` and
 * test/integration/ (real servers, binaries: slow) are left out unless `--integration` is given.
 * `--deep` also takes the tests of shipped modules importing the part (transitively, never
 * through src/api.ts: counter-bits.ts is tested through the Interface and IO sources). `--tests`
 * adds test files, `--without` leaves some out (one broken by work in progress: Stryker refuses
 * to start when the unmutated run fails), `--concurrency N` overrides the config's 2, `--list`
 * prints the files and the command without running anything. A part `file.ts:10-80` mutates only
 * those lines (to split a big file into runs of minutes). See docs/testing.md.
 */
import { tmpdir } from "node:os"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import baseConfig, { mutatePatterns } from "../stryker.config.mjs"

const ROOT = resolve(import.meta.dir, "..")
/** Folders searched for test files. */
const TEST_ROOTS = ["src", "test", "examples"]

interface Args {
  parts: string[]
  integration: boolean
  deep: boolean
  list: boolean
  extraTests: string[]
  without: string[]
  concurrency?: number
}

/** `src/core/naming.ts:1-150`: only the mutants on those lines (Stryker's `mutate` range), to split a big file. */
const RANGE = /^(.+\.ts):(\d+)-(\d+)$/

function parseArgs(argv: string[]): Args {
  const args: Args = { parts: [], integration: false, deep: false, list: false, extraTests: [], without: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--integration") args.integration = true
    else if (arg === "--list") args.list = true
    else if (arg === "--deep") args.deep = true
    else if (arg === "--tests") args.extraTests.push(...(argv[++i] ?? "").split(",").filter(Boolean))
    else if (arg === "--without") args.without.push(...(argv[++i] ?? "").split(",").filter(Boolean))
    else if (arg === "--concurrency") args.concurrency = Number(argv[++i])
    else if (arg.startsWith("--")) fail(`unknown option ${arg}`)
    else args.parts.push(arg)
  }
  if (!args.parts.length)
    fail("usage: npm run mutate -- <file or folder> [...] [--integration] [--deep] [--tests a,b] [--without a,b] [--list]")
  return args
}

function fail(message: string): never {
  console.error(`mutate: ${message}`)
  process.exit(2)
}

/** Repo-relative path with forward slashes. */
const rel = (file: string) => relative(ROOT, file).split(sep).join("/")

/** Every file under `dir` (skipping node_modules, hidden folders and recordings). */
function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "testdata") continue
    const full = join(dir, entry.name)
    if (entry.isDirectory()) walk(full, out)
    else if (entry.isFile()) out.push(full)
  }
  return out
}

const includes = mutatePatterns.filter((p) => !p.startsWith("!")).map((p) => new Bun.Glob(p))
const excludes = mutatePatterns.filter((p) => p.startsWith("!")).map((p) => new Bun.Glob(p.slice(1)))
/** Whether stryker.config.mjs's `mutate` patterns take this (repo-relative) file. */
export const isMutable = (file: string) => includes.some((g) => g.match(file)) && !excludes.some((g) => g.match(file))

const isTest = (file: string) => file.endsWith(".test.ts")
/** A part's path without its line range. */
const pathOf = (part: string) => RANGE.exec(part)?.[1] ?? part
const isSlowTest = (file: string) => file.endsWith(".integration.test.ts") || file.startsWith("test/integration/")

/** The shipped files a part stands for: the file itself, or the mutable files under the folder. */
function partFiles(part: string): string[] {
  const full = resolve(ROOT, pathOf(part))
  if (!existsSync(full)) fail(`${part}: no such file or folder`)
  const files = statSync(full).isDirectory() ? walk(full).map(rel) : [rel(full)]
  const mutable = files.filter(isMutable)
  if (!mutable.length) fail(`${part}: nothing to mutate (stryker.config.mjs mutates ${includes.length} patterns of src/)`)
  return mutable
}

const transpiler = new Bun.Transpiler({ loader: "ts" })

/** Repo-relative files a test file imports (relative specifiers, and "pollect" = src/api.ts). */
function importsOf(file: string): string[] {
  let imports: { path: string }[]
  try {
    imports = transpiler.scanImports(readFileSync(join(ROOT, file), "utf8"))
  } catch {
    return []
  }
  const out: string[] = []
  for (const { path } of imports) {
    if (path === "pollect") out.push("src/api.ts")
    if (!path.startsWith(".")) continue
    const base = resolve(ROOT, dirname(file), path)
    for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) {
        out.push(rel(candidate))
        break
      }
    }
  }
  return out
}

/** Modules that import (nearly) everything: following importers through them would pick the whole suite. */
const HUBS = new Set(["src/api.ts", "src/registry.ts", "src/sources/index.ts", "src/writers/index.ts", "src/agent.ts"])

/**
 * `files` and, transitively, the shipped modules importing them (`--deep`: a lib/ helper used by
 * plugins through their own imports), never through HUBS nor test helpers.
 */
function importerClosure(files: string[], modules: string[]): Set<string> {
  const closure = new Set(files)
  const shipped = modules.filter((m) => m.startsWith("src/") && !isTest(m) && !HUBS.has(m))
  const importsByModule = new Map(shipped.map((m) => [m, importsOf(m)]))
  for (let grew = true; grew; ) {
    grew = false
    for (const [module, imports] of importsByModule) {
      if (!closure.has(module) && imports.some((i) => closure.has(i))) {
        closure.add(module)
        grew = true
      }
    }
  }
  return closure
}

/**
 * The test files covering `files`: for a folder part every test under it, for a file part the
 * tests beside it (its folder's `*.test.ts`), and anywhere every test file importing one of
 * `files` (with `deep`, or one of the shipped modules importing them).
 */
function coveringTests(parts: string[], files: string[], integration: boolean, deep: boolean): string[] {
  const modules = TEST_ROOTS.flatMap((root) => walk(join(ROOT, root)))
    .map(rel)
    .filter((file) => file.endsWith(".ts"))
  const allTests = modules.filter(isTest)
  const covers = parts.map((part): ((test: string) => boolean) => {
    const full = resolve(ROOT, pathOf(part))
    const folder = rel(statSync(full).isDirectory() ? full : dirname(full))
    return statSync(full).isDirectory() ? (test) => test.startsWith(`${folder}/`) : (test) => dirname(test) === folder
  })
  const wanted = deep ? importerClosure(files, modules) : new Set(files)
  const chosen = allTests.filter((test) => covers.some((cover) => cover(test)) || importsOf(test).some((file) => wanted.has(file)))
  return chosen.filter((test) => integration || !isSlowTest(test)).sort()
}

interface Mutant {
  id: string
  mutatorName: string
  replacement?: string
  status: string
  location: { start: { line: number; column: number }; end: { line: number; column: number } }
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>
}

/** The text a mutant replaced (first line of it, shortened). */
function original(source: string, { start, end }: Mutant["location"]): string {
  const lines = source.split("\n")
  const text =
    start.line === end.line
      ? lines[start.line - 1]!.slice(start.column - 1, end.column - 1)
      : `${lines[start.line - 1]!.slice(start.column - 1)} …`
  return shorten(text)
}
const shorten = (text: string) => {
  const one = text.replace(/\s+/g, " ").trim()
  return one.length > 70 ? `${one.slice(0, 67)}...` : one
}

/** Counts of a Stryker JSON report and the score as Stryker computes it (killed + timeout over valid mutants). */
export function summarise(report: Report) {
  const count: Record<string, number> = {}
  const survivors: string[] = []
  let total = 0
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      total++
      count[mutant.status] = (count[mutant.status] ?? 0) + 1
      if (mutant.status === "Survived" || mutant.status === "NoCoverage") {
        const at = `${file}:${mutant.location.start.line}:${mutant.location.start.column}`
        survivors.push(`${at} ${mutant.mutatorName}: ${original(source, mutant.location)} → ${shorten(mutant.replacement ?? "")}`)
      }
    }
  }
  const n = (status: string) => count[status] ?? 0
  const detected = n("Killed") + n("Timeout")
  const valid = detected + n("Survived") + n("NoCoverage")
  const score = valid ? (100 * detected) / valid : Number.NaN
  return {
    total,
    killed: n("Killed"),
    survived: n("Survived"),
    noCoverage: n("NoCoverage"),
    timeout: n("Timeout"),
    invalid: n("CompileError") + n("RuntimeError"),
    ignored: n("Ignored"),
    score,
    survivors,
  }
}

function slug(parts: string[]): string {
  const s = parts
    .map(
      (p) =>
        rel(resolve(ROOT, pathOf(p)))
          .replace(/\.ts$/, "")
          .replace(/^src\//, "") + (RANGE.exec(p) ? `_${RANGE.exec(p)![2]}-${RANGE.exec(p)![3]}` : ""),
    )
    .join("+")
  return s.replace(/[^A-Za-z0-9.+-]+/g, "_").slice(0, 120)
}

const duration = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, "0")}s`

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const files = [...new Set(args.parts.flatMap(partFiles))].sort()
  const without = new Set(args.without.map((t) => rel(resolve(ROOT, t))))
  const found = [...coveringTests(args.parts, files, args.integration, args.deep), ...args.extraTests.map((t) => rel(resolve(ROOT, t)))]
  const tests = [...new Set(found)].filter((t) => !without.has(t)).sort()
  if (!tests.length) fail(`no test file covers ${args.parts.join(" ")} (give some with --tests)`)
  // process.execPath is this bun; absolute, so the sandbox's PATH does not matter.
  const command = [process.execPath, "test", "--timeout=60000", "--bail", ...tests.map((t) => `./${t}`)].join(" ")
  const name = slug(args.parts)
  const reportFile = `reports/mutation/${name}.json`
  console.log(`mutating ${files.length} file(s):\n  ${files.join("\n  ")}`)
  console.log(`with ${tests.length} test file(s):\n  ${tests.join("\n  ")}`)
  console.log(`command: ${command}`)
  if (args.list) return

  // A ranged part mutates only its lines; Stryker takes `file:start-end` in `mutate`.
  const mutate = files.map((file) => {
    const ranged = args.parts.map((part) => RANGE.exec(part)).find((m) => m && rel(resolve(ROOT, m[1]!)) === file)
    return ranged ? `${file}:${ranged[2]}-${ranged[3]}` : file
  })
  // Each run has a temp folder of its own: runs of several engineers at once never see (or
  // delete) each other's sandboxes.
  const tempDirName = `${baseConfig.tempDirName ?? ".stryker-tmp"}/${name}-${process.pid}`
  const config = {
    ...baseConfig,
    mutate,
    tempDirName,
    commandRunner: { command },
    jsonReporter: { fileName: reportFile },
    ...(args.concurrency ? { concurrency: args.concurrency } : {}),
  }
  const tempDir = join(ROOT, tempDirName)
  mkdirSync(tempDir, { recursive: true })
  const configFile = join(tempDir, "config.json")
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  rmSync(join(ROOT, reportFile), { force: true })

  // The tests' temp folders go into one folder of this run's, removed at its end: a test process
  // that Stryker kills (a timeout) or that stops at its first failure (--bail) never runs its
  // own cleanup, and a long run left tens of thousands of folders in /tmp. Kept short (unix
  // socket paths have a 108-byte limit).
  const testTemp = mkdtempSync(join(tmpdir(), "pollect-mutate-"))
  const started = Date.now()
  // Stryker is a Node program (its workers talk over Node IPC); the tests it runs are bun's.
  const stryker = Bun.spawn(["node", join(ROOT, "node_modules/@stryker-mutator/core/bin/stryker.js"), "run", configFile], {
    cwd: ROOT,
    stdio: ["inherit", "inherit", "inherit"],
    env: { ...process.env, TMPDIR: testTemp },
  })
  const stop = () => stryker.kill("SIGINT")
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
  const exitCode = await stryker.exited
  const elapsed = Date.now() - started
  // Stryker keeps its sandbox when a run fails or is stopped: this run's folder goes, whatever happened.
  rmSync(tempDir, { recursive: true, force: true })
  rmSync(testTemp, { recursive: true, force: true })
  if (!existsSync(join(ROOT, reportFile))) fail(`stryker exited ${exitCode} without a report (${duration(elapsed)})`)

  const s = summarise(JSON.parse(readFileSync(join(ROOT, reportFile), "utf8")) as Report)
  if (s.survivors.length) console.log(`\nsurviving mutants:\n  ${s.survivors.join("\n  ")}`)
  console.log(
    `\n${args.parts.join(" ")}: ${s.total} mutants, ${s.killed} killed, ${s.survived} survived, ${s.noCoverage} no coverage, ` +
      `${s.timeout} timeout${s.invalid ? `, ${s.invalid} compile/runtime error` : ""}${s.ignored ? `, ${s.ignored} ignored` : ""}; ` +
      `score ${s.score.toFixed(2)}%; ${duration(elapsed)} (${tests.length} test files); report ${reportFile}`,
  )
  process.exit(exitCode)
}

if (import.meta.main) await main()

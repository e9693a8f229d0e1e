// Mutation testing (StrykerJS, its command test runner calling `bun test`). Do not run this whole
// config at once (thousands of mutants, the whole suite per mutant: hours): run one part with
// `npm run mutate -- <path>` (scripts/mutate.ts), which narrows `mutate` to that part and the
// command to the test files that cover it. See docs/testing.md.
// @ts-check

/** Shipped code of src/core, src/config, src/lib and every plugin folder; never tests, fakes, recordings. */
export const mutatePatterns = [
  "src/core/**/*.ts",
  "src/config/**/*.ts",
  "src/lib/**/*.ts",
  "src/sources/*/**/*.ts",
  "src/writers/*/**/*.ts",
  "!**/*.test.ts",
  "!**/fake-*.ts",
  "!**/*.d.ts",
  "!**/testdata/**",
]

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
const config = {
  $schema: "./node_modules/@stryker-mutator/core/schema/stryker-schema.json",
  packageManager: "npm",
  testRunner: "command",
  // The command runner only sees an exit code: no per-test coverage, so every mutant runs the
  // whole command. scripts/mutate.ts replaces it with the test files covering the part.
  coverageAnalysis: "off",
  commandRunner: { command: "bun test --timeout=60000 --bail ./src" },
  mutate: mutatePatterns,
  // 2 cores on this machine, shared: one bun process per worker.
  concurrency: 2,
  // A mutant's deadline is (the unmutated run's time) * timeoutFactor + timeoutMS; bun's start-up
  // and a loaded machine vary by seconds, so the absolute part is generous.
  timeoutMS: 15000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 10,
  // `ignoreStatic` needs coverageAnalysis "perTest" (Stryker refuses it with "off"); with the
  // command runner every mutant is a fresh process anyway, so a static mutant costs no more.
  ignoreStatic: false,
  // Stryker adds `// @ts-nocheck` to the instrumented files (mutants are often ill-typed). Bun
  // does not type-check, so this only matters if tsc ever runs in the sandbox; limited to src/.
  disableTypeChecks: "src/**/*.ts",
  // The sandbox: a copy of the repo with the mutated files instrumented, node_modules symlinked
  // (never installed). Ignored by git; a hidden folder, so `bun test` never scans it.
  tempDirName: ".stryker-tmp",
  symlinkNodeModules: true,
  cleanTempDir: true,
  ignorePatterns: ["dist", "reports", "test/artifacts", ".tmp", "*.log", ".stryker-tmp", ".fx-*", "*.bun-build", "bench/.pollect-bench-*"],
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 90, low: 80, break: null },
}

export default config

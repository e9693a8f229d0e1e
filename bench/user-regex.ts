/**
 * User regexes: RE2 (re2js, what pollect uses) against JavaScriptCore's backtracking RegExp on the
 * patterns configs hold, and on the one that freezes a backtracking engine.
 *
 *   bun bench/user-regex.ts
 */
import { compileUserRegex, type RegexAnchor } from "../src/lib/options/user-regex.ts"

const CMDLINES = [
  "/usr/sbin/nginx -g daemon on; master_process on;",
  "nginx: worker process",
  "/usr/bin/python3 /opt/app/manage.py runserver 0.0.0.0:8000 --noreload",
  "/usr/lib/jvm/java-17-openjdk-amd64/bin/java -Xms512m -Xmx2g -Djava.awt.headless=true -jar /opt/app/service.jar --spring.profiles.active=prod",
  "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
  "kworker/0:1-events",
]
const NAMES = ["eth0", "eth1", "lo", "wlan0", "docker0", "veth1a2b3c4", "br-0123456789ab", "enp3s0", "sda", "sda1", "nvme0n1p2"]

const CASES: { what: string; pattern: string; anchor: RegexAnchor; native: RegExp; inputs: string[] }[] = [
  { what: "procRegex literal", pattern: "nginx", anchor: "search", native: /nginx/, inputs: CMDLINES },
  { what: "procRegex ^nginx: ", pattern: "^nginx: ", anchor: "search", native: /^nginx: /, inputs: CMDLINES },
  {
    what: "procRegex java.*service\\.jar",
    pattern: "java.*service\\.jar",
    anchor: "search",
    native: /java.*service\.jar/,
    inputs: CMDLINES,
  },
  { what: "procRegex (?i)MANAGE\\.PY", pattern: "(?i)MANAGE\\.PY", anchor: "search", native: /MANAGE\.PY/i, inputs: CMDLINES },
  { what: "name eth.* (whole)", pattern: "eth.*", anchor: "whole", native: /^(?:eth.*)$/, inputs: NAMES },
  { what: "name veth[0-9a-f]+ (whole)", pattern: "veth[0-9a-f]+", anchor: "whole", native: /^(?:veth[0-9a-f]+)$/, inputs: NAMES },
  { what: "name eth0 (whole)", pattern: "eth0", anchor: "whole", native: /^(?:eth0)$/, inputs: NAMES },
  { what: "device sd[a-z]+$ (start)", pattern: "sd[a-z]+$", anchor: "start", native: /^(?:sd[a-z]+$)/, inputs: NAMES },
]

function nsPerMatch(test: (s: string) => boolean, inputs: string[]): number {
  const rounds = 20_000
  let hits = 0
  for (let i = 0; i < 2000; i++) for (const s of inputs) if (test(s)) hits++ // warm up
  const samples: number[] = []
  for (let r = 0; r < 5; r++) {
    const start = Bun.nanoseconds()
    for (let i = 0; i < rounds; i++) for (const s of inputs) if (test(s)) hits++
    samples.push((Bun.nanoseconds() - start) / (rounds * inputs.length))
  }
  if (hits < 0) console.log(hits)
  return samples.sort((a, b) => a - b)[2]!
}

console.log("| pattern | inputs | RegExp ns/match | RE2 (re2js) ns/match | ratio | RE2 compile µs |")
console.log("|---|---:|---:|---:|---:|---:|")
for (const c of CASES) {
  const re2 = compileUserRegex(c.pattern, c.anchor)
  for (const s of c.inputs) if (re2.test(s) !== c.native.test(s)) throw new Error(`${c.what} disagrees on ${s}`)
  const native = nsPerMatch((s) => c.native.test(s), c.inputs)
  const ours = nsPerMatch((s) => re2.test(s), c.inputs)
  const t = Bun.nanoseconds()
  for (let i = 0; i < 200; i++) compileUserRegex(c.pattern, c.anchor)
  const compileUs = (Bun.nanoseconds() - t) / 200 / 1000
  console.log(
    `| \`${c.what}\` | ${c.inputs.length} | ${native.toFixed(0)} | ${ours.toFixed(0)} | ${(ours / native).toFixed(1)}× | ${compileUs.toFixed(1)} |`,
  )
}

const bait = `${"a".repeat(40)}!`
const evil = compileUserRegex("(.*a){20}$")
let start = performance.now()
evil.test(bait)
console.log(`\n(.*a){20}$ on 40 a's and "!": RE2 ${(performance.now() - start).toFixed(2)} ms (first match, cold)`)
start = performance.now()
for (let i = 0; i < 1000; i++) evil.test(bait)
console.log(`  warm: ${(((performance.now() - start) * 1000) / 1000).toFixed(1)} µs per match`)
for (const n of [1 << 10, 1 << 17, 1 << 21]) {
  const text = `${"a".repeat(n)}!`
  start = performance.now()
  evil.test(text)
  console.log(`  ${n} a's: ${(performance.now() - start).toFixed(1)} ms`)
}
// JavaScriptCore on the same text, anchored at the start only (the unanchored search does not end):
const backtracking = /^(?:(.*a){20}$)$/
start = performance.now()
backtracking.test(`${"a".repeat(30)}!`)
console.log(`RegExp ^(?:(.*a){20}$)$ on 30 a's and "!": ${(performance.now() - start).toFixed(0)} ms (40 a's unanchored: does not return)`)

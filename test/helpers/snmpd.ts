/**
 * A real Net-SNMP agent (Debian snmpd) for tests: generated snmpd.conf with a v2c community and
 * a v3 user (SHA/AES), fixed values at private OIDs (`override`), a persistent dir in a temp
 * folder, listening on a free loopback UDP port. `snmpget()` runs the real snmpget binary.
 */
import type { Subprocess } from "bun"
import { createSocket } from "node:dgram"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "./context.ts"
import { findTool } from "./tools.ts"
import { stopProcess } from "./processes.ts"

export const SNMP_TEST = {
  community: "pollect-ro-c0mmunity",
  user: "pollectv3",
  authKey: "auth-secret-123",
  privKey: "priv-secret-456",
  /** Private enterprise subtree (Net-SNMP's experimental arc) where the fixed values live. */
  base: "1.3.6.1.4.1.8072.9999",
} as const

/** Fixed values served by `override`: they never change between two reads. */
export const SNMP_FIXED = {
  answer: { oid: `${SNMP_TEST.base}.3.0`, value: 42 },
  nearWrap: { oid: `${SNMP_TEST.base}.2.0`, value: 4294967290 },
  gauge: { oid: `${SNMP_TEST.base}.4.0`, value: 3000000000 },
} as const

/** A UDP port free right now on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4")
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

export class Snmpd {
  readonly dir = tempDir("pollect-snmpd-")
  port = 0
  private process: Subprocess | undefined

  async start(): Promise<void> {
    const conf = join(this.dir, "snmpd.conf")
    mkdirSync(join(this.dir, "persist"), { recursive: true })
    writeFileSync(
      conf,
      [
        `rocommunity ${SNMP_TEST.community} 127.0.0.1`,
        `createUser ${SNMP_TEST.user} SHA ${SNMP_TEST.authKey} AES ${SNMP_TEST.privKey}`,
        `rouser ${SNMP_TEST.user} priv`,
        "sysDescr pollect test agent",
        `override .${SNMP_FIXED.answer.oid} integer ${SNMP_FIXED.answer.value}`,
        `override .${SNMP_FIXED.nearWrap.oid} counter ${SNMP_FIXED.nearWrap.value}`,
        `override .${SNMP_FIXED.gauge.oid} uinteger ${SNMP_FIXED.gauge.value}`,
        "",
      ].join("\n"),
    )
    const snmpd = findTool("snmpd")
    if (!snmpd) throw new Error("snmpd not installed")
    // The port may be taken between picking and binding (other tests run alongside): retry.
    for (let attempt = 0; attempt < 5; attempt++) {
      this.port = await freeUdpPort()
      this.process = Bun.spawn(
        [
          snmpd,
          "-f",
          "-C",
          "-c",
          conf,
          "-Lf",
          join(this.dir, "snmpd.log"),
          `--persistentDir=${join(this.dir, "persist")}`,
          "-p",
          join(this.dir, "snmpd.pid"),
          `udp:127.0.0.1:${this.port}`,
        ],
        { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: { ...process.env, MIBS: "" } },
      )
      if (await this.ready()) return
      await this.stop()
    }
    throw new Error(`snmpd did not start: ${this.log().slice(-2000)}`)
  }

  private async ready(): Promise<boolean> {
    for (let i = 0; i < 50; i++) {
      if (this.process?.exitCode !== null) return false
      const result = await this.snmpget(["-v2c", "-c", SNMP_TEST.community, "-t", "0.2", "-r", "0"], [SNMP_FIXED.answer.oid]).catch(
        () => undefined,
      )
      if (result?.includes(`INTEGER: ${SNMP_FIXED.answer.value}`)) return true
      await Bun.sleep(100)
    }
    return false
  }

  /** Runs the real snmpget against this agent; resolves with its stdout, rejects on failure. */
  async snmpget(auth: string[], oids: string[], extra: string[] = []): Promise<string> {
    const proc = Bun.spawn(["snmpget", "-On", "-Oe", ...extra, ...auth, `udp:127.0.0.1:${this.port}`, ...oids], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, MIBS: "" },
    })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    if (code !== 0) throw new Error(`snmpget failed (${code}): ${err.trim()}`)
    return out
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, "snmpd.log"), "utf8")
    } catch {
      return ""
    }
  }

  async stop(): Promise<void> {
    const proc = this.process
    this.process = undefined
    if (proc) await stopProcess(proc, 3000)
  }
}

/** The number snmpget printed for `oid` (`.1.3... = Counter64: 123`), parsed independently of pollect's parser. */
export function snmpgetNumber(stdout: string, oid: string): bigint {
  const line = stdout.split("\n").find((l) => l.startsWith(`.${oid} = `))
  const match = line && /= [\w-]+: (?:\((\d+)\)|(-?\d+))/.exec(line)
  if (!match) throw new Error(`snmpget printed no number for ${oid}: ${stdout}`)
  return BigInt(match[1] ?? match[2]!)
}

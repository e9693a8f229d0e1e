/**
 * For tests: an SNMP agent on a loopback UDP port (net-snmp's Agent, so requests and answers are
 * real SNMP packets) that answers what a real agent answered before: the values come from a
 * recorded `snmpget -On -Oe` output, parsed here independently of pollect's own parser.
 * `.1.3... = No Such Object ...` is answered noSuchObject, `No Such Instance ...` noSuchInstance.
 *
 * @example
 * const agent = await FakeSnmpAgent.start("public")
 * agent.serve(readFileSync("testdata/raw/snmpget-v2c.txt", "utf8"))
 * // ... SnmpGet with host 127.0.0.1, port agent.port ...
 * await agent.close()
 */
import type { Socket } from "node:dgram"
import snmp from "net-snmp"

/** The part of net-snmp's Agent/Mib API (not in net-snmp.d.ts, which covers what pollect ships with) used here. */
interface MibNode {
  value?: unknown
  valueType?: number
}
interface Provider {
  name: string
  type: number
  oid: string
  scalarType: number
  maxAccess: number
}
interface Mib {
  registerProvider(provider: Provider): void
  addProviderToNode(provider: Provider): MibNode
  addNodesForOid(oid: string): MibNode
}
interface Agent {
  getMib(): Mib
  setMib(mib: Mib): void
  getAuthorizer(): { addCommunity(community: string): void; addUser(user: Record<string, unknown>): void }
  close(callback?: () => void): void
  listener: { sockets: Record<string, Socket> }
}
const lib = snmp as unknown as {
  createAgent(options: Record<string, unknown>, callback: (error: Error | null) => void): Agent
  createMib(): Mib
  MibProviderType: { Scalar: number }
  MaxAccess: { "read-only": number }
  ObjectType: Record<"Integer" | "Counter" | "Gauge" | "TimeTicks" | "Counter64" | "OctetString", number>
}

/** One recorded answer: the SNMP type tag and the value as net-snmp encodes it, or absent (noSuchObject/noSuchInstance). */
export interface RecordedValue {
  oid: string
  /** undefined: the agent had no such object (or instance). */
  type?: number
  value?: number | string | Buffer
  missing?: "object" | "instance"
}

/** BER keeps integers positive with a leading 0x00 when the top bit is set. */
function counter64(value: bigint): Buffer {
  let hex = value.toString(16)
  if (hex.length % 2) hex = "0" + hex
  if (/^[89a-f]/.test(hex)) hex = "00" + hex
  return Buffer.from(hex, "hex")
}

/** `snmpget -On -Oe` output → recorded values (the types a test recording holds; others throw). */
export function parseRecording(text: string): RecordedValue[] {
  const T = lib.ObjectType
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const match = /^\.?([\d.]+) = (.*)$/.exec(line)
      if (!match) throw new Error(`not an snmpget -On line: ${line}`)
      const [, oid, rest] = match as unknown as [string, string, string]
      if (rest.startsWith("No Such Object")) return { oid, missing: "object" }
      if (rest.startsWith("No Such Instance")) return { oid, missing: "instance" }
      const typed = /^([\w-]+): (.*)$/.exec(rest)
      if (!typed) throw new Error(`no type in: ${line}`)
      const [, type, value] = typed as unknown as [string, string, string]
      switch (type) {
        case "INTEGER":
          return { oid, type: T.Integer, value: Number(value) }
        case "Counter32":
          return { oid, type: T.Counter, value: Number(value) }
        case "Gauge32":
          return { oid, type: T.Gauge, value: Number(value) }
        case "Timeticks":
          return { oid, type: T.TimeTicks, value: Number(/^\((\d+)\)/.exec(value)![1]) }
        case "Counter64":
          return { oid, type: T.Counter64, value: counter64(BigInt(value)) }
        case "STRING":
          return { oid, type: T.OctetString, value: JSON.parse(value) as string }
      }
      throw new Error(`type ${type} is not replayed: ${line}`)
    })
}

export class FakeSnmpAgent {
  /** The requests answered so far (each GET of a v1/v2c session is one). */
  answered = 0

  private constructor(
    private readonly agent: Agent,
    readonly port: number,
  ) {}

  /**
   * An agent on 127.0.0.1 (a free port) that accepts v1/v2c requests with `community` (and v3
   * requests of `users`, in net-snmp's user format: name, level, authProtocol, authKey,
   * privProtocol, privKey), serving nothing yet.
   */
  static async start(community: string, users: Record<string, unknown>[] = []): Promise<FakeSnmpAgent> {
    let failed: ((error: Error) => void) | undefined
    let fake: FakeSnmpAgent | undefined
    // net-snmp reports socket errors (a failed bind) and bad requests here, and each answer it sent
    // (error null); only the former matters before listening.
    const agent = lib.createAgent({ port: 0, address: "127.0.0.1", transport: "udp4" }, (error) => {
      if (error) failed?.(error)
      else if (fake) fake.answered++
    })
    agent.getAuthorizer().addCommunity(community)
    for (const user of users) agent.getAuthorizer().addUser(user)
    const socket = Object.values(agent.listener.sockets)[0]!
    await new Promise<void>((resolve, reject) => {
      failed = reject
      socket.once("listening", () => resolve())
    })
    failed = undefined
    fake = new FakeSnmpAgent(agent, socket.address().port)
    return fake
  }

  /** From now on, answers with the values of this recording (replacing what was served before). */
  serve(recording: string): void {
    const mib = lib.createMib()
    const registered = new Set<string>()
    for (const recorded of parseRecording(recording)) {
      // noSuchInstance: the object (its parent OID) exists, the instance does not; noSuchObject: nothing there.
      if (recorded.missing === "object") continue
      const parent = recorded.oid.split(".").slice(0, -1).join(".")
      if (!registered.has(parent)) {
        registered.add(parent)
        const provider = {
          name: parent,
          type: lib.MibProviderType.Scalar,
          oid: parent,
          scalarType: recorded.type ?? lib.ObjectType.Integer,
          maxAccess: lib.MaxAccess["read-only"],
        }
        mib.registerProvider(provider)
        // setScalarValue() would only make the `.0` instance: put the provider on the tree, add instances by hand.
        mib.addProviderToNode(provider)
      }
      if (recorded.missing === "instance") continue
      const node = mib.addNodesForOid(recorded.oid)
      node.valueType = recorded.type
      node.value = recorded.value
    }
    this.agent.setMib(mib)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.agent.close(() => resolve()))
  }
}

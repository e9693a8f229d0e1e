/**
 * A tiny authoritative DNS responder on a loopback UDP port, as the upstream a BIND forward
 * zone asks: every A question gets 127.0.0.9 (TTL 300), a name starting with `nx` gets
 * NXDOMAIN, anything else an empty NOERROR answer. Enough for BIND's resolver and cache stats.
 */
import type { udp } from "bun"

export class DnsResponder {
  private socket?: udp.Socket<"buffer">
  queries = 0

  get port(): number {
    return this.socket?.port ?? 0
  }

  async start(): Promise<void> {
    this.socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data: (socket, data, port, address) => {
          const answer = respond(Buffer.from(data))
          if (!answer) return
          this.queries++
          socket.send(answer, port, address)
        },
      },
    })
  }

  stop(): void {
    this.socket?.close()
    this.socket = undefined
  }
}

export function respond(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined
  // Walk the question name: length-prefixed labels up to a zero byte.
  let offset = 12
  const labels: string[] = []
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset]!
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString("latin1"))
    offset += length + 1
  }
  const questionEnd = offset + 5 // zero byte, QTYPE, QCLASS
  if (questionEnd > query.length) return undefined
  const qtype = query.readUInt16BE(offset + 1)
  const nxdomain = labels[0]?.toLowerCase().startsWith("nx") ?? false
  const withAnswer = !nxdomain && qtype === 1
  const header = Buffer.alloc(12)
  header.writeUInt16BE(query.readUInt16BE(0), 0) // same id
  // QR, AA, RD copied from the query; RCODE 3 for NXDOMAIN.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (nxdomain ? 3 : 0), 2)
  header.writeUInt16BE(1, 4) // QDCOUNT
  header.writeUInt16BE(withAnswer ? 1 : 0, 6) // ANCOUNT
  const question = query.subarray(12, questionEnd)
  if (!withAnswer) return Buffer.concat([header, question])
  // Name as a pointer to the question (0xc00c), type A, class IN, TTL 300, 4 bytes of address.
  const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 127, 0, 0, 9])
  return Buffer.concat([header, question, answer])
}

/**
 * The UDP socket the meter's datagrams arrive on: bound to the port (all addresses for
 * multicast, since Linux delivers group traffic only to sockets bound to the wildcard or the
 * group; `hostIp` for unicast), joined to the group on the interface of `hostIp`, with
 * SO_REUSEADDR so several sources (one per meter) and other programs can listen too.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram"

export interface ReceiverOptions {
  port: number
  /** The multicast group to join; undefined: unicast only. */
  group?: string
  /** The interface address to join on (and, for unicast, to bind to). */
  hostIp?: string
}

/** Where the receiver listens, for messages: `udp 0.0.0.0:9522, multicast 239.12.255.254 on 192.168.1.5`. */
export function describeReceiver(options: ReceiverOptions): string {
  const bind = options.group ? "0.0.0.0" : (options.hostIp ?? "0.0.0.0")
  const group = options.group ? `, multicast ${options.group} on ${options.hostIp ?? "the default interface"}` : ""
  return `udp ${bind}:${options.port}${group}`
}

/** Binds and joins; rejects with an actionable message (port in use, no such interface). */
export async function openReceiver(options: ReceiverOptions, onMessage: (data: Buffer, from: RemoteInfo) => void): Promise<Socket> {
  const socket = createSocket({ type: "udp4", reuseAddr: true })
  const where = describeReceiver(options)
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (error) => reject(new Error(`cannot listen on ${where}: ${error.message}`)))
    socket.bind({ port: options.port, address: options.group ? undefined : options.hostIp }, () => resolve())
  }).catch((error) => {
    socket.close()
    throw error
  })
  if (options.group) {
    try {
      socket.addMembership(options.group, options.hostIp)
    } catch (error) {
      socket.close()
      throw new Error(
        `cannot join ${options.group} on ${options.hostIp ?? "the default interface"} (is hostIp an address of this host?): ${(error as Error).message}`,
      )
    }
  }
  // After the bind, errors are per datagram (ICMP and the like): nothing to act on.
  socket.on("error", () => {})
  socket.on("message", onMessage)
  return socket
}

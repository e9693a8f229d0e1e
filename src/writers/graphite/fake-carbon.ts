/**
 * A loopback carbon for the Graphite writer's tests: a TCP listener that keeps what each
 * connection sent and counts the connections that closed; `stop()` stops listening and closes
 * every connection (carbon going away), once however often it is called.
 *
 *   const carbon = fakeCarbon()
 *   // … a writer to 127.0.0.1:carbon.port …
 *   decodePickleFrames(carbon.bytes())
 */
import type { Socket, TCPSocketListener } from "bun"
import { concat, decodePickleFrames } from "../../../test/helpers/python-pickle.ts"

export function fakeCarbon(port = 0) {
  const connections: Uint8Array[][] = []
  const sockets: Socket<{ id: number }>[] = []
  const state = { closed: 0, stopped: false }
  const listener: TCPSocketListener<{ id: number }> = Bun.listen<{ id: number }>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        socket.data = { id: connections.push([]) - 1 }
        sockets.push(socket)
      },
      data(socket, chunk) {
        connections[socket.data.id]!.push(new Uint8Array(chunk))
      },
      close() {
        state.closed++
      },
    },
  })
  return {
    port: listener.port,
    stop: () => {
      if (state.stopped) return
      state.stopped = true
      listener.stop(true)
    },
    /** What each connection sent, in chunks as they arrived. */
    connections,
    sockets,
    get closed() {
      return state.closed
    },
    /** Everything every connection sent, in order. */
    bytes: () => concat(connections.flat()),
    /** The values of the pickle frames received. */
    values: () => decodePickleFrames(concat(connections.flat())).map((point) => point[2]),
    /** What arrived, as text (plaintext protocol). */
    text: () => new TextDecoder().decode(concat(connections.flat())),
  }
}

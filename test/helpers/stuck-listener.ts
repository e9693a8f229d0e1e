/**
 * A listener on 127.0.0.1 that never accepts, made with listen(2) through libc (node:net and
 * Bun.listen accept on their own). With backlog 0 its accept queue holds one connection; once
 * that is queued, Linux drops every further SYN, so a connect hangs as it does against a full
 * backlog or a dropping firewall. Linux only.
 */
import { dlopen, FFIType, ptr } from "bun:ffi"
import { connect } from "node:net"

export interface StuckListener {
  port: number
  close(): void
}

/** The listener alone: its first connection still completes (and stays queued). */
export function stuckListener(): StuckListener {
  const libc = dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  })
  const AF_INET = 2
  const SOCK_STREAM = 1
  const fd = libc.symbols.socket(AF_INET, SOCK_STREAM, 0)
  // struct sockaddr_in: family (host order), port 0 (network order), 127.0.0.1, 8 bytes of zero.
  const address = new Uint8Array(16)
  new DataView(address.buffer).setUint16(0, AF_INET, true)
  address.set([127, 0, 0, 1], 4)
  const length = new Uint32Array([address.length])
  if (libc.symbols.bind(fd, ptr(address), address.length) !== 0 || libc.symbols.listen(fd, 0) !== 0)
    throw new Error("bind/listen on 127.0.0.1 failed")
  libc.symbols.getsockname(fd, ptr(address), ptr(length))
  const port = new DataView(address.buffer).getUint16(2, false)
  return {
    port,
    close() {
      libc.symbols.close(fd)
      libc.close()
    },
  }
}

/** A stuck listener whose accept queue is already full: every connect to `port` hangs. */
export async function hangingPort(): Promise<StuckListener> {
  const listener = stuckListener()
  const filler = connect({ host: "127.0.0.1", port: listener.port })
  await new Promise<void>((resolve, reject) => filler.once("connect", resolve).once("error", reject))
  return {
    port: listener.port,
    close() {
      filler.destroy()
      listener.close()
    },
  }
}

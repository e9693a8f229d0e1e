/** Ports and child processes for tests that start real servers on loopback. */
import type { Subprocess } from "bun"

/** A TCP port free right now on 127.0.0.1 (the OS picks it). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const port = listener.port
  listener.stop(true)
  return port
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`; resolves once it is gone. */
export async function stopProcess(proc: Subprocess, graceMs: number): Promise<void> {
  proc.kill("SIGTERM")
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)])
  if (!exited) {
    proc.kill("SIGKILL")
    await proc.exited
  }
}

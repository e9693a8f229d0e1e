/**
 * Graphite writer throughput: 1M points pickled and sent over loopback TCP to a sink (a
 * Bun.listen server that only counts bytes), in points per second. Two figures per round:
 * - `encode + send`: the pickle encoder straight into its reused buffer, frames written to a
 *   socket with backpressure handled (what the writer's flush loop does);
 * - `writer end to end`: GraphiteWriter.write() of the ticks (Graphite path naming included),
 *   the flush loop, until the sink has every byte;
 * - for scale, the same points through Python's own pickle module and sendall().
 *
 *   npx bun bench/graphite.ts [points=1000000] [rounds=5]
 */
import { silentLogger } from "../src/core/log.ts"
import { SelfMetrics } from "../src/core/self-metrics.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { ValueSet } from "../src/core/value-set.ts"
import { PickleFrameEncoder } from "../src/writers/graphite/pickle.ts"
import { GraphiteWriter } from "../src/writers/graphite/index.ts"

const POINTS = Number(process.argv[2] ?? 1_000_000)
const ROUNDS = Number(process.argv[3] ?? 5)
const PER_TICK = 1000 // distinct series; POINTS / PER_TICK ticks

function sink() {
  const state = { bytes: 0, closed: 0 }
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(_socket, chunk) {
        state.bytes += chunk.length
      },
      close() {
        state.closed++
      },
    },
  })
  return { port: listener.port, state, stop: () => listener.stop(true) }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await Bun.sleep(1)
}

/** Realistic series: `pollect.interface.eth<k>.<counter>` style paths, mixed ints and floats. */
const paths = Array.from({ length: PER_TICK }, (_, i) => `pollect.interface.eth${i % 50}.value_${Math.floor(i / 50)}_bytes_sent`)
const value = (i: number) => (i % 3 === 0 ? i * 1_000_003 : i * 0.37)

async function encodeAndSend(): Promise<{ seconds: number; bytes: number }> {
  const server = sink()
  const encoder = new PickleFrameEncoder()
  let drained: (() => void) | undefined
  const socket = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {}, drain: () => drained?.() } })
  const start = performance.now()
  const time = 1_700_000_000
  let sent = 0
  let bytes = 0
  let i = 0
  while (i < POINTS) {
    encoder.begin()
    while (i < POINTS && encoder.add(paths[i % PER_TICK]!, time + Math.floor(i / PER_TICK), value(i))) i++
    let frame = encoder.finish()
    bytes += frame.length
    for (;;) {
      const written = socket.write(frame)
      if (written === frame.length) break
      frame = frame.subarray(Math.max(0, written))
      await new Promise<void>((resolve) => (drained = resolve))
    }
    sent = i
  }
  socket.end()
  await until(() => server.state.bytes === bytes)
  const seconds = (performance.now() - start) / 1000
  server.stop()
  if (sent !== POINTS) throw new Error("not all points encoded")
  return { seconds, bytes }
}

async function writerEndToEnd(): Promise<{ seconds: number; bytes: number }> {
  const server = sink()
  const writer = new GraphiteWriter(
    {
      type: "Graphite",
      host: "127.0.0.1",
      picklePort: server.port,
      bufferSize: POINTS,
      resendSeconds: 0,
      queue: { maxBytes: 64 << 20, fsyncMs: 1000 },
    },
    { log: silentLogger, stateDir: "/tmp", configDir: "/tmp", selfMetrics: new SelfMetrics(), once: false },
  )
  writer.start()
  await until(() => writer.connected)
  const ticks: SourceResult[][] = []
  for (let t = 0; t < POINTS / PER_TICK; t++) {
    const set = new ValueSet(["n"])
    for (let k = 0; k < PER_TICK; k++) set.add(value(t * PER_TICK + k), [paths[k]!.slice(18)])
    ticks.push([
      { id: "s", collection: "pollect", type: "Interface", labels: {}, time: 1_700_000_000 + t, sets: [set], timeoutSeconds: 10 },
    ])
  }
  const start = performance.now()
  for (const tick of ticks) writer.write(tick)
  await until(() => writer.unsent === 0)
  await writer.stop()
  await until(() => server.state.closed === 1)
  const seconds = (performance.now() - start) / 1000
  server.stop()
  return { seconds, bytes: server.state.bytes }
}

/**
 * The same 1M points through Python's C pickle (protocol 2, 500-point frames as carbon-relay
 * sends them) and sendall(), for scale: what a Python sender of this protocol costs.
 */
async function pythonReference(): Promise<{ seconds: number; bytes: number } | undefined> {
  if (!Bun.which("python3")) return undefined
  const server = sink()
  const script = `
import pickle, socket, struct, sys, time
points, per_tick, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
paths = ["pollect.interface.eth%d.value_%d_bytes_sent" % (i % 50, i // 50) for i in range(per_tick)]
value = lambda i: i * 1000003 if i % 3 == 0 else i * 0.37
data = [(paths[i % per_tick], (1700000000 + i // per_tick, value(i))) for i in range(points)]
s = socket.create_connection(("127.0.0.1", port))
start = time.perf_counter()
sent = 0
for at in range(0, points, 500):
    payload = pickle.dumps(data[at:at + 500], protocol=2)
    s.sendall(struct.pack("!L", len(payload)) + payload)
    sent += 4 + len(payload)
s.close()
print(time.perf_counter() - start, sent)
`
  const child = Bun.spawn(["python3", "-c", script, String(POINTS), String(PER_TICK), String(server.port)], { stdout: "pipe" })
  const [seconds, bytes] = (await new Response(child.stdout).text()).trim().split(" ").map(Number) as [number, number]
  await until(() => server.state.bytes === bytes)
  server.stop()
  return { seconds, bytes }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const rates: Record<string, number[]> = { "encode + send": [], "writer end to end": [], "python3 pickle (ref)": [] }
let bytesPerPoint = 0
for (let round = 0; round < ROUNDS; round++) {
  const a = await encodeAndSend()
  rates["encode + send"]!.push(POINTS / a.seconds)
  bytesPerPoint = a.bytes / POINTS
  const b = await writerEndToEnd()
  rates["writer end to end"]!.push(POINTS / b.seconds)
  const c = await pythonReference()
  if (c) rates["python3 pickle (ref)"]!.push(POINTS / c.seconds)
}
console.log(`${POINTS} points per round, ${ROUNDS} rounds, ${bytesPerPoint.toFixed(1)} bytes per point on the wire`)
for (const [name, values] of Object.entries(rates)) {
  if (!values.length) continue
  console.log(
    `${name.padEnd(21)} median ${(median(values) / 1e6).toFixed(2)} M points/s  (rounds: ${values.map((v) => (v / 1e6).toFixed(2)).join(", ")})`,
  )
}

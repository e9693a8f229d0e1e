/**
 * The one test writer: keeps every batch it is given, and on request fails the way a broken
 * backend does (write throws, rejects or hangs; start throws). Build it directly
 * (`new RecordingWriter({ partial: true })`) or register it for a config
 * (`registry.addWriters({ Recording: RecordingWriter })`, then `{ "type": "Recording", "throws": "boom" }`).
 *
 * @example
 * const writer = new RecordingWriter()
 * await executor.tick({ all: true })
 * expect(writer.received.map((r) => r.type)).toEqual(["LoadAvg"])
 */
import * as v from "valibot"
import { Writer, type WriterContext } from "../../src/core/plugin.ts"
import type { SourceResult } from "../../src/core/source-result.ts"
import { writerContext } from "./context.ts"

const options = v.object({
  /** Any value, to tell two otherwise identical configs apart (identical configs share one instance). */
  tag: v.optional(v.union([v.string(), v.number()])),
  /** Gets each source's result as it lands instead of the merged tick. */
  partial: v.optional(v.boolean()),
  /** write() throws an Error with this message (after recording the call). */
  throws: v.optional(v.string()),
  /** write() rejects with this message, 5 ms later (after recording the call). */
  rejects: v.optional(v.string()),
  /** write() never settles. */
  hangs: v.optional(v.boolean()),
  /** start() throws an Error with this message. */
  refusesStart: v.optional(v.string()),
})

export type RecordingOptions = v.InferOutput<typeof options>

export class RecordingWriter extends Writer<RecordingOptions> {
  static override readonly options = options
  /** Instances built so far (reset it in the test that counts). */
  static built = 0

  override readonly partial: boolean
  /** Every write() call's results, in order (also those that then failed). */
  readonly batches: SourceResult[][] = []
  starts = 0
  stops = 0

  constructor(config: RecordingOptions & { type?: string } = {}, ctx: WriterContext = writerContext()) {
    super({ ...config, type: config.type ?? "Recording" }, ctx)
    this.partial = config.partial ?? false
    RecordingWriter.built++
  }

  /** Every result written, across batches. */
  get received(): SourceResult[] {
    return this.batches.flat()
  }

  /** How many times write() was called. */
  get calls(): number {
    return this.batches.length
  }

  override start(): void {
    this.starts++
    if (this.config.refusesStart) throw new Error(this.config.refusesStart)
  }

  override write(results: SourceResult[]): void | Promise<void> {
    this.batches.push(results)
    if (this.config.throws) throw new Error(this.config.throws)
    if (this.config.hangs) return new Promise<void>(() => {})
    const rejects = this.config.rejects
    if (rejects) return Bun.sleep(5).then(() => Promise.reject(new Error(rejects)))
  }

  override stop(): void {
    this.stops++
  }
}

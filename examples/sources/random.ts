/**
 * The original README's extension example, ported: drop this file into a `sources/` folder
 * beside your config (or list it under `extensions`) and use `"type": "SingleRandom"`.
 */
import { Source, v } from "pollect"

const singleOptions = v.object({
  /** Upper bound of the random value. */
  max: v.optional(v.number(), 1),
})

/** Single random value with a parameter. */
export class SingleRandomSource extends Source<v.InferOutput<typeof singleOptions>> {
  static override readonly options = singleOptions

  override probe(): number {
    return Math.random() * this.config.max
  }
}

/** Multiple random values: `collection.multirandom.a` and `.b`. */
export class MultiRandomSource extends Source {
  override probe(): Record<string, number> {
    return { a: Math.random(), b: Math.random() }
  }
}

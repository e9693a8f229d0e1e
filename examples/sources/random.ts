/**
 * The original README's extension example, ported: drop this file into a `sources/` folder
 * beside your config (or list it under `extensions`) and use `"type": "SingleRandom"`.
 */
import { defineMetrics, Source, ValueSet, v } from "pollect"

/** What the two sources emit: `collection.singlerandom` and `collection.multirandom.a` / `.b`. */
export const metrics = defineMetrics({
  single: { help: "A random number between 0 and max" },
  multi: { values: ["a", "b"], help: "Two random numbers between 0 and 1" },
})

const singleOptions = v.object({
  max: v.optional(v.pipe(v.number(), v.description("Upper bound of the random value (exclusive).")), 1),
})

/** Single random value with a parameter. */
export class SingleRandomSource extends Source<v.InferOutput<typeof singleOptions>> {
  static override readonly options = singleOptions
  static override readonly metrics = { single: metrics.single }

  override probe(): ValueSet {
    return new ValueSet(metrics.single).add(Math.random() * this.config.max)
  }
}

/** Multiple random values: `collection.multirandom.a` and `.b`. */
export class MultiRandomSource extends Source {
  static override readonly metrics = { multi: metrics.multi }

  override probe(): ValueSet {
    return new ValueSet(metrics.multi).add(Math.random(), [], "a").add(Math.random(), [], "b")
  }
}

/**
 * A writer extension: appends every tick as JSON lines to a file. Use `"type": "JsonLines"`.
 */
import { appendFileSync } from "node:fs"
import { resolve } from "node:path"
import { graphitePath, Writer, v, type SourceResult } from "pollect"

const options = v.object({
  file: v.pipe(v.string(), v.description("The file lines are appended to; relative to the config file's folder.")),
})

export class JsonLinesWriter extends Writer<v.InferOutput<typeof options>> {
  static override readonly options = options

  override write(results: SourceResult[]): void {
    const lines = results.flatMap((result) =>
      result.sets.flatMap((set) =>
        set.values.map((value) => JSON.stringify({ path: graphitePath(result, value), time: result.time, value: value.value })),
      ),
    )
    appendFileSync(resolve(this.ctx.configDir, this.config.file), lines.map((line) => line + "\n").join(""))
  }
}

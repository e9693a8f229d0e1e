/** A user's mistake in the config: every problem at once, each by path. main.ts prints them and exits 2. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly file?: string,
  ) {
    super(problems.join("\n"))
    this.name = "ConfigError"
  }

  /** What the user reads: the file, then one problem per line. */
  describe(): string {
    const where = this.file ? ` in ${this.file}` : ""
    const count = this.problems.length === 1 ? "1 problem" : `${this.problems.length} problems`
    return `invalid config${where} (${count}):\n` + this.problems.map((p) => `  - ${p}`).join("\n")
  }
}

/**
 * psutil (what the Python pollect used) reading a fixture tree under test/fixtures: the
 * reference values the /proc parsers are checked against. Needs Debian's python3-psutil.
 */
import { join } from "node:path"
import { FIXTURES } from "./proc-fixtures.ts"

/** Debian's python, where python3-psutil installs (a venv python3 on PATH may lack it). */
export const DEBIAN_PYTHON = "/usr/bin/python3"

/** A recorded file under test/fixtures (`proc-host/meminfo`). */
export const fixture = (path: string): Promise<string> => Bun.file(join(FIXTURES, path)).text()

/** `expression` evaluated by psutil with PROCFS_PATH at test/fixtures/<procfs>, as JSON. */
export async function psutil(procfs: string, expression: string): Promise<unknown> {
  const script = `import json, psutil\npsutil.PROCFS_PATH = ${JSON.stringify(join(FIXTURES, procfs))}\nprint(json.dumps(${expression}))`
  const child = Bun.spawn([DEBIAN_PYTHON, "-c", script], { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  if (code !== 0) throw new Error(`python3 with psutil failed (apt-get install python3-psutil): ${err}`)
  return JSON.parse(out)
}

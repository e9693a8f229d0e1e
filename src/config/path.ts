export type PathKey = string | number

/** `["executors", 1, "sources", 0, "url"]` → `executors[1].sources[0].url` */
export function formatPath(path: readonly PathKey[]): string {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else out += out ? `.${key}` : key
  }
  return out || "(top level)"
}

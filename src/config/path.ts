export type PathKey = string | number

/** `["executors", 1, "sources", 0, "url"]` → `executors[1].sources[0].url` */
export function formatPath(path: readonly PathKey[]): string {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else out += out ? `.${shortKey(key)}` : shortKey(key)
  }
  return out || "(top level)"
}

/** Keys longer than this are cut in messages: a 1 MB key must not make a 1 MB log line. */
export const MAX_KEY_SHOWN = 64

/** A key as a message shows it: control characters visible, at most MAX_KEY_SHOWN characters. */
export function shortKey(key: string): string {
  const visible = key.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
  return visible.length <= MAX_KEY_SHOWN ? visible : `${visible.slice(0, MAX_KEY_SHOWN)}…(${key.length} characters)`
}

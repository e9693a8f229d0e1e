/** lib/util/bounded-body.ts: a peer's answer read without trusting its size. */
import { describe, expect, it } from "bun:test"
import { BodyTooLargeError, bodyExcerpt, readBoundedText } from "./bounded-body.ts"

const enc = (s: string) => new TextEncoder().encode(s)

/** A body streamed in the given chunks; `state.cancelled` says whether the reader gave up on it. */
function streamed(chunks: (string | Uint8Array)[], then: "end" | "forever" | "break" = "end") {
  const state = { pulled: 0, cancelled: false }
  const queue = [...chunks]
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled++
      const next = queue.shift()
      if (next !== undefined) return controller.enqueue(typeof next === "string" ? enc(next) : next)
      if (then === "end") controller.close()
      else if (then === "break") controller.error(new Error("connection reset"))
      else controller.enqueue(enc("z".repeat(100)))
    },
    cancel() {
      state.cancelled = true
    },
  })
  return { body, state }
}

describe("readBoundedText", () => {
  it("reads a body of exactly maxBytes, in chunks, with a character split across them", async () => {
    const euro = enc("€") // 3 bytes
    const { body } = streamed(["ab", euro.subarray(0, 1), euro.subarray(1), "cd"])
    expect(await readBoundedText(new Response(body), 7)).toBe("ab€cd")
  })

  it("a Content-Length of maxBytes is read; one more is refused before reading, and the body cancelled", async () => {
    expect(await readBoundedText(new Response("12345", { headers: { "content-length": "5" } }), 5)).toBe("12345")
    const { body, state } = streamed(["123456"])
    const response = new Response(body, { headers: { "content-length": "6" } })
    const error = await readBoundedText(response, 5).catch((e) => e)
    expect(error).toBeInstanceOf(BodyTooLargeError)
    expect(error.message).toBe("answer of 6 bytes, more than the 5 read at most")
    expect(state.pulled).toBeLessThanOrEqual(1)
    expect(state.cancelled).toBe(true)
  })

  it("past maxBytes of a stream without a length it stops reading, cancels, and says how much arrived", async () => {
    const { body, state } = streamed(["12345", "6"], "forever")
    const error = await readBoundedText(new Response(body), 5).catch((e) => e)
    expect(error).toBeInstanceOf(BodyTooLargeError)
    expect(error.message).toBe("answer of more than 5 bytes, the most read")
    expect(state.cancelled).toBe(true)
    expect(state.pulled).toBeLessThan(5)
  })

  it("tooLarge makes the caller's error, with the bytes declared or read", async () => {
    const sizes: number[] = []
    const tooLarge = (bytes: number) => (sizes.push(bytes), new Error(`mine: ${bytes}`))
    expect(readBoundedText(new Response("x".repeat(10), { headers: { "content-length": "10" } }), 4, tooLarge)).rejects.toThrow("mine: 10")
    const { body } = streamed(["abc", "def"])
    expect(readBoundedText(new Response(body), 4, tooLarge)).rejects.toThrow("mine: 6")
    await Bun.sleep(0)
    expect(sizes).toEqual([10, 6])
  })

  it("a Content-Length over maxBytes without a body (a HEAD-like answer) is refused as too large, not a TypeError", async () => {
    const response = new Response(null, { headers: { "content-length": "100" } })
    expect(response.body).toBeNull()
    await expect(readBoundedText(response, 10)).rejects.toBeInstanceOf(BodyTooLargeError)
  })

  it("no body is the empty text", async () => {
    expect(await readBoundedText(new Response(null), 10)).toBe("")
    expect(await readBoundedText(new Response(null, { headers: { "content-length": "0" } }), 0)).toBe("")
  })
})

describe("bodyExcerpt", () => {
  it("whitespace runs become one space, trimmed; max characters are kept whole, more are cut with …", async () => {
    expect(await bodyExcerpt(new Response("  a\n\t b  \r\n"), 10)).toBe("a b")
    expect(await bodyExcerpt(new Response("abcde"), 5)).toBe("abcde")
    expect(await bodyExcerpt(new Response("abcdef"), 5)).toBe("abcde…")
    expect(await bodyExcerpt(new Response(null), 5)).toBe("")
  })

  it("reads at most about 4 × max characters of an endless body, then cancels it", async () => {
    const { body, state } = streamed(["y".repeat(10)], "forever")
    expect(await bodyExcerpt(new Response(body), 50)).toBe(`${"y".repeat(10)}${"z".repeat(40)}…`)
    expect(state.pulled).toBeLessThanOrEqual(4)
    expect(state.cancelled).toBe(true)
  })

  it("keeps reading until 4 × max characters arrived (short chunks)", async () => {
    const { body } = streamed(["ab", "cd", "ef", "gh", "ij"])
    expect(await bodyExcerpt(new Response(body), 2)).toBe("ab…")
    const { body: all } = streamed(["ab", "cd", "ef", "gh", "ij"])
    expect(await bodyExcerpt(new Response(all), 9)).toBe("abcdefghi…")
    const { body: whole } = streamed(["ab", "cd", "ef", "gh", "ij"])
    expect(await bodyExcerpt(new Response(whole), 10)).toBe("abcdefghij")
  })

  it("a character split across chunks is decoded whole", async () => {
    const euro = enc("€")
    const { body } = streamed([euro.subarray(0, 2), euro.subarray(2), "!"])
    expect(await bodyExcerpt(new Response(body), 10)).toBe("€!")
  })

  it("a body that breaks off gives what arrived", async () => {
    const { body } = streamed(["partial ", "answer"], "break")
    expect(await bodyExcerpt(new Response(body), 100)).toBe("partial answer")
  })
})

import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { startFakeDevice } from "./fake-device.ts"
import {
  decodeNoiseMessage,
  encodeNoiseFrame,
  encodeNoiseMessage,
  encodePlainFrame,
  type FrameError,
  NoiseFrameDecoder,
  PlainFrameDecoder,
} from "./frames.ts"
import { EspHomeSource, stateSets } from "./index.ts"
import { decodeEntity, decodeState, type Entity, encodeEntity, encodeState, float32Shortest, MSG } from "./messages.ts"
import { CipherState, concat, NNpsk0Handshake, nonceBytes } from "./noise.ts"
import { decodePsk } from "./psk.ts"
import { MessageWriter, readFields, readVarint, varint } from "./protobuf.ts"

interface DeviceFile {
  psk?: string
  entities: Entity[]
  states: Record<string, number | string>
  updates?: { key: number; value: number }[]
}

sourceConformance({
  type: "EspHome",
  cls: EspHomeSource,
  dir: import.meta.dir,
  // The fake device serves testdata/<case>/device.json on a loopback port that stands in for
  // config.json's; probe, push the recorded updates, probe again.
  golden: async (testCase) => {
    const device = JSON.parse(readFileSync(join(testCase.dir, "device.json"), "utf8")) as DeviceFile
    const states = Object.fromEntries(Object.entries(device.states).map(([k, v]) => [k, Number(v)]))
    const fake = await startFakeDevice({ psk: device.psk, entities: device.entities, states })
    const source = makeSource<EspHomeSource>(EspHomeSource, { ...testCase.config, port: fake.port })
    try {
      const first = await source.probe()
      for (const update of device.updates ?? []) fake.setState(update.key, update.value)
      await Bun.sleep(100)
      const second = await source.probe()
      expect(fake.connections).toBe(1)
      return [first, second]
    } finally {
      await source.close()
      await fake.stop()
    }
  },
  failing: {
    config: { type: "EspHome", host: "127.0.0.1", port: freePort() },
    message: /127\.0\.0\.1:\d+: connect failed: ECONNREFUSED/,
  },
})

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")
const unhex = (text: string) => new Uint8Array(Buffer.from(text, "hex"))

describe("EspHome: Noise NNpsk0 against an independent implementation", () => {
  // testdata/noise-kat/vectors.json: written by noise_kat.py (python3-cryptography), see its header.
  const kat = JSON.parse(readFileSync(join(import.meta.dir, "testdata/noise-kat/vectors.json"), "utf8")) as Record<string, string>

  it("the initiator's first message, the responder's reply and the transport ciphertexts are the recorded bytes", () => {
    const psk = unhex(kat.psk!)
    const initiator = new NNpsk0Handshake("initiator", { psk, ephemeralPrivate: unhex(kat.initiatorEphemeral!) })
    const responder = new NNpsk0Handshake("responder", { psk, ephemeralPrivate: unhex(kat.responderEphemeral!) })
    const message1 = initiator.writeMessage1()
    expect(hex(message1)).toBe(kat.message1!)
    responder.readMessage1(message1)
    const reply = responder.writeMessage2()
    expect(hex(reply.message)).toBe(kat.message2!)
    const done = initiator.readMessage2(reply.message)
    expect(hex(initiator.handshakeHash)).toBe(kat.handshakeHash!)
    expect(hex(done.ciphers.send.encrypt(new Uint8Array(0), unhex(kat.clientPlaintext!)))).toBe(kat.clientCiphertext!)
    expect(hex(reply.ciphers.send.encrypt(new Uint8Array(0), unhex(kat.serverPlaintext!)))).toBe(kat.serverCiphertext!)
    // And each side reads the other's transport message.
    expect(hex(reply.ciphers.receive.decrypt(new Uint8Array(0), unhex(kat.clientCiphertext!)))).toBe(kat.clientPlaintext!)
  })

  it("a responder with another psk cannot read message 1; the counter does not move on a failed decrypt", () => {
    const initiator = new NNpsk0Handshake("initiator", { psk: new Uint8Array(32).fill(1) })
    const responder = new NNpsk0Handshake("responder", { psk: new Uint8Array(32).fill(2) })
    expect(() => responder.readMessage1(initiator.writeMessage1())).toThrow("decryption failed")
    const key = new Uint8Array(32).fill(7)
    const sender = new CipherState(key)
    const receiver = new CipherState(key)
    const ct = sender.encrypt(new Uint8Array(0), Uint8Array.of(1, 2, 3))
    const altered = ct.slice()
    altered[0]! ^= 1
    expect(() => receiver.decrypt(new Uint8Array(0), altered)).toThrow("decryption failed")
    expect([...receiver.decrypt(new Uint8Array(0), ct)]).toEqual([1, 2, 3])
  })

  it("the nonce is 4 zero bytes and the 64-bit counter little-endian", () => {
    expect(hex(nonceBytes(0x0102))).toBe("000000000201000000000000")
  })

  it("decodes ESPHome's base64 key and refuses other lengths with a message that says what is expected", () => {
    expect(decodePsk("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=").length).toBe(32)
    expect(() => decodePsk("c2hvcnQ=")).toThrow("decodes to 5 bytes; ESPHome's api encryption key is 32 bytes")
    expect(() => decodePsk("not base64!")).toThrow("psk is not base64")
  })
})

describe("EspHome: protobuf and frames", () => {
  it("varints round-trip and are bounded", () => {
    for (const n of [0, 1, 127, 128, 300, 65535, 2 ** 32 + 5]) expect(readVarint(Uint8Array.from(varint(n)), 0)[0]).toBe(n)
    expect(() => readVarint(Uint8Array.of(0x80, 0x80), 0)).toThrow("truncated varint")
    expect(() => readVarint(new Uint8Array(11).fill(0x80), 0)).toThrow("longer than 10 bytes")
  })

  it("entity and state messages round-trip through the field numbers of api.proto", () => {
    const sensor: Entity = { kind: "sensor", key: 0xdeadbeef, objectId: "t", name: "Temp", deviceClass: "temperature", unit: "°C" }
    const encoded = encodeEntity(sensor)
    expect(encoded.type).toBe(MSG.ListEntitiesSensorResponse)
    expect(decodeEntity(encoded.type, encoded.payload)).toEqual(sensor)
    const binary: Entity = { kind: "binary_sensor", key: 7, objectId: "m", name: "Motion", deviceClass: "motion", unit: "" }
    const b = encodeEntity(binary)
    expect(decodeEntity(b.type, b.payload)).toEqual(binary)
    const state = encodeState("sensor", { key: 5, value: 21.3 })
    expect(float32Shortest(decodeState(state.type, state.payload).value)).toBe(21.3)
    const missing = encodeState("sensor", { key: 5, value: Number.NaN })
    expect(decodeState(missing.type, missing.payload).value).toBeNaN()
    // A known encoding: SensorStateResponse{key: 1, state: 1.5} = fixed32 key, float state.
    expect(hex(state.payload.subarray(0, 5))).toBe("0d05000000")
    expect(hex(encodeState("sensor", { key: 1, value: 1.5 }).payload)).toBe("0d01000000150000c03f")
  })

  it("a truncated or malformed message is an error, not a crash", () => {
    expect(() => readFields(Uint8Array.of(0x0a, 0x05, 0x41))).toThrow("truncated field 1")
    expect(() => readFields(Uint8Array.of(0x0d, 0x01))).toThrow("truncated fixed32")
    expect(() => readFields(Uint8Array.of(0x0b))).toThrow("unsupported wire type 3")
    expect(() => decodeEntity(MSG.ListEntitiesSensorResponse, Uint8Array.of(0x12, 0xff, 0xff, 0xff, 0x0f))).toThrow("truncated")
    // Unknown fields are skipped.
    const withExtra = concat(
      new MessageWriter().uint(99, 5).string(98, "x").finish(),
      encodeEntity({ kind: "sensor", key: 3, objectId: "a", name: "A", deviceClass: "", unit: "" }).payload,
    )
    expect(decodeEntity(MSG.ListEntitiesSensorResponse, withExtra).key).toBe(3)
  })

  it("plain frames: split anywhere, several in one chunk", () => {
    const bytes = concat(
      encodePlainFrame(25, Uint8Array.of(1, 2, 3)),
      encodePlainFrame(7, new Uint8Array(0)),
      encodePlainFrame(16, new Uint8Array(300)),
    )
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new PlainFrameDecoder()
      const frames = [...decoder.push(bytes.slice(0, cut)), ...decoder.push(bytes.slice(cut))]
      expect(frames.map((f) => [f.type, f.payload.length])).toEqual([
        [25, 3],
        [7, 0],
        [16, 300],
      ])
    }
  })

  it("plain frames: a wrong first byte, an oversized length and an over-long varint are FrameErrors", () => {
    const kind = (bytes: number[]) => {
      try {
        new PlainFrameDecoder().push(Uint8Array.from(bytes))
      } catch (error) {
        return [(error as FrameError).kind, (error as Error).message]
      }
      return undefined
    }
    expect(kind([0x01, 0x00, 0x05])).toEqual(["noise-peer", "the peer speaks the encrypted (Noise) protocol"])
    expect(kind([...Buffer.from("HTTP/1.1 400")])).toEqual(["garbage", "not an ESPHome native API frame (first byte 0x48, expected 0x00)"])
    expect(kind([0x00, ...varint(1 << 20), 0x01])).toEqual(["oversized", "frame of 1048576 bytes announced (limit 65535)"])
    expect(kind([0x00, 0x80, 0x80, 0x80, 0x80, 0x01])).toEqual(["garbage", "bad frame header: varint longer than 4 bytes"])
  })

  it("noise frames and the encrypted message header", () => {
    const frame = encodeNoiseFrame(Uint8Array.of(9, 9))
    expect(hex(frame)).toBe("01000209 09".replace(" ", ""))
    const decoder = new NoiseFrameDecoder()
    expect(decoder.push(frame.slice(0, 2))).toEqual([])
    expect(decoder.push(frame.slice(2)).map(hex)).toEqual(["0909"])
    expect(() => new NoiseFrameDecoder().push(Uint8Array.of(0x00, 0x03))).toThrow("the peer speaks the plain-text protocol")
    expect(decodeNoiseMessage(encodeNoiseMessage(25, Uint8Array.of(4)))).toEqual({ type: 25, payload: Uint8Array.of(4) })
    expect(() => decodeNoiseMessage(Uint8Array.of(0, 25, 0, 9, 1))).toThrow("announces 9 bytes, holds 1")
    expect(() => decodeNoiseMessage(Uint8Array.of(0, 25))).toThrow("at least 4")
  })
})

describe("EspHome: 1.2's names", () => {
  const entities: Entity[] = [
    { kind: "sensor", key: 1, objectId: "t", name: "Temp", deviceClass: "temperature", unit: "°C" },
    { kind: "sensor", key: 2, objectId: "t2", name: "Temp", deviceClass: "temperature", unit: "°C" },
    { kind: "sensor", key: 3, objectId: "nameless", name: "", deviceClass: "", unit: "" },
    { kind: "binary_sensor", key: 4, objectId: "b", name: "Door", deviceClass: "door", unit: "" },
    { kind: "sensor", key: 5, objectId: "nan", name: "NaN", deviceClass: "power", unit: "W" },
  ]
  it("value name = device class, label name = sensor name; NaN left out; the first of two same series kept", () => {
    const sets = stateSets(
      entities,
      new Map([
        [1, 20.5],
        [2, 99],
        [3, 7],
        [4, 1],
        [5, Number.NaN],
      ]),
    )
    expect(sets.map((s) => s.values.map((v) => [v.name, v.labelValues, v.value]))).toEqual([
      [["temperature", ["Temp"], 20.5]],
      [[undefined, ["nameless"], 7]],
      [["binary_door", ["Door"], 1]],
    ])
  })

  it("an unreachable device at the first probe is one clear failure", async () => {
    const port = freePort()
    const source = makeSource<EspHomeSource>(EspHomeSource, { type: "EspHome", host: "127.0.0.1", port })
    await expect(source.probe()).rejects.toThrow(`127.0.0.1:${port}: connect failed: ECONNREFUSED`)
    await source.close()
  })

  it("a psk that is not a 32-byte base64 key is refused by the schema", () => {
    expect(() => makeSource(EspHomeSource, { type: "EspHome", host: "x", psk: "c2hvcnQ=" })).toThrow("base64 of 32 bytes")
  })

  it("the psk never reaches the log", async () => {
    const lines: string[] = []
    const device = await startFakeDevice({ entities: [] })
    const psk = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
    const source = makeSource<EspHomeSource>(EspHomeSource, { type: "EspHome", host: "127.0.0.1", port: device.port, psk }, { log: lines })
    source.ctx.log.warn(`key is ${psk}`)
    await source.probe().catch(() => {})
    await source.close()
    await device.stop()
    expect(lines.join("\n")).not.toContain(psk)
    expect(lines.length).toBeGreaterThan(0)
  })
})

import { describe, expect, it } from "bun:test"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { promLabels, toValueSets } from "../../api.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
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
import {
  decodeAuthenticationResponse,
  decodeEntity,
  decodeHelloResponse,
  decodeState,
  type Entity,
  encodeAuthenticationRequest,
  encodeEntity,
  encodeGetTimeResponse,
  encodeHelloRequest,
  encodeHelloResponse,
  encodeState,
  float32Shortest,
  MSG,
} from "./messages.ts"
import { CipherState, concat, NNpsk0Handshake, NOISE_PROTOCOL, nonceBytes, SymmetricState } from "./noise.ts"
import { decodePsk } from "./psk.ts"
import { FieldMap, MessageWriter, readFields, readVarint, varint } from "./protobuf.ts"

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

  it("the key may carry spaces around it or lack its padding; nothing may precede it", () => {
    const key = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
    expect(decodePsk(` ${key}\n`).length).toBe(32)
    expect(decodePsk(key.slice(0, -1)).length).toBe(32)
    expect(() => decodePsk("AAAA")).toThrow("psk decodes to 3 bytes")
    expect(() => decodePsk(`$${key}`)).toThrow("psk is not base64")
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

describe("EspHome: Noise building blocks (the spec's rules)", () => {
  const key = new Uint8Array(32).fill(7)

  it("a CipherState without a key passes bytes through; with one it encrypts", () => {
    const none = new CipherState()
    expect(none.hasKey()).toBe(false)
    expect([...none.encrypt(new Uint8Array(0), Uint8Array.of(1, 2))]).toEqual([1, 2])
    expect([...none.decrypt(new Uint8Array(0), Uint8Array.of(3, 4))]).toEqual([3, 4])
    const keyed = new CipherState(key)
    expect(keyed.hasKey()).toBe(true)
    expect(keyed.encrypt(new Uint8Array(0), Uint8Array.of(1, 2)).length).toBe(2 + 16)
  })

  it("the nonce counts up per message on both sides; a message shorter than its tag is refused as such", () => {
    const sender = new CipherState(key)
    const receiver = new CipherState(key)
    const sent = [1, 2, 3].map((n) => sender.encrypt(new Uint8Array(0), Uint8Array.of(n)))
    expect(new Set(sent.map((ct) => hex(ct))).size).toBe(3)
    expect(sent.map((ct) => [...receiver.decrypt(new Uint8Array(0), ct)])).toEqual([[1], [2], [3]])
    expect(() => receiver.decrypt(new Uint8Array(0), new Uint8Array(15))).toThrow(/^decryption failed: message shorter than its tag$/)
  })

  it("the counter stops at 2^53 - 1 (nonce exhausted) rather than reuse a nonce", () => {
    const cipher = new CipherState(key)
    ;(cipher as unknown as { n: number }).n = Number.MAX_SAFE_INTEGER - 1
    cipher.encrypt(new Uint8Array(0), Uint8Array.of(1))
    expect(() => cipher.encrypt(new Uint8Array(0), Uint8Array.of(1))).toThrow("nonce exhausted")
  })

  it("a protocol name of up to 32 bytes is h itself, zero-padded; a longer one is hashed", () => {
    const name = "Noise_NN_25519_ChaChaPoly_SHA256"
    expect(name.length).toBe(32)
    expect(hex(new SymmetricState(name).h)).toBe(Buffer.from(name).toString("hex"))
    expect(hex(new SymmetricState("Noise_NN").h)).toBe(Buffer.from("Noise_NN").toString("hex").padEnd(64, "0"))
    expect(hex(new SymmetricState(NOISE_PROTOCOL).h)).toBe(createHash("sha256").update(NOISE_PROTOCOL).digest("hex"))
  })

  it("the handshake refuses a psk of another length, short messages, the wrong order and the wrong role", () => {
    expect(() => new NNpsk0Handshake("initiator", { psk: new Uint8Array(31) })).toThrow("the Noise psk must be 32 bytes")
    const psk = new Uint8Array(32).fill(1)
    const responder = new NNpsk0Handshake("responder", { psk })
    expect(() => responder.writeMessage2()).toThrow("readMessage1 first")
    expect(() => responder.readMessage1(new Uint8Array(47))).toThrow("handshake message too short (47 bytes)")
    expect(() => responder.writeMessage1()).toThrow("only the initiator does this")
    const initiator = new NNpsk0Handshake("initiator", { psk })
    expect(() => initiator.readMessage2(new Uint8Array(47))).toThrow("handshake message too short (47 bytes)")
    expect(() => initiator.readMessage1(new Uint8Array(48))).toThrow("only the responder does this")
    expect(() => initiator.writeMessage2()).toThrow("only the responder does this")
  })
})

describe("EspHome: frame bounds and kinds", () => {
  const frameError = (run: () => unknown) => {
    try {
      run()
    } catch (error) {
      return [(error as FrameError).kind, (error as Error).message]
    }
    return undefined
  }

  it("the Noise decoder names a plain-text peer, and calls anything else garbage", () => {
    expect(frameError(() => new NoiseFrameDecoder().push(Uint8Array.of(0x00, 0x03)))).toEqual([
      "plaintext-peer",
      "the peer speaks the plain-text protocol",
    ])
    expect(frameError(() => new NoiseFrameDecoder().push(Uint8Array.of(0x48)))).toEqual([
      "garbage",
      "not an ESPHome native API frame (first byte 0x48, expected 0x01)",
    ])
  })

  it("Noise frames: an empty frame alone is a frame; a frame split inside its bytes waits for the rest", () => {
    expect(new NoiseFrameDecoder().push(Uint8Array.of(1, 0, 0)).map(hex)).toEqual([""])
    const frame = encodeNoiseFrame(Uint8Array.of(1, 2, 3, 4, 5))
    for (let cut = 1; cut < frame.length; cut++) {
      const decoder = new NoiseFrameDecoder()
      expect(decoder.push(frame.slice(0, cut))).toEqual([])
      expect(decoder.push(frame.slice(cut)).map(hex)).toEqual(["0102030405"])
    }
  })

  it("65535 bytes is the largest frame both ways; one more is refused as oversized", () => {
    const max = new Uint8Array(65535)
    const plain = new PlainFrameDecoder().push(encodePlainFrame(25, max))
    expect(plain.map((f) => [f.type, f.payload.length])).toEqual([[25, 65535]])
    expect(new NoiseFrameDecoder().push(encodeNoiseFrame(max)).map((f) => f.length)).toEqual([65535])
    const over = new Uint8Array(65536)
    expect(frameError(() => encodePlainFrame(25, over))).toEqual(["oversized", "message of 65536 bytes (limit 65535)"])
    expect(frameError(() => encodeNoiseFrame(over))).toEqual(["oversized", "frame of 65536 bytes (limit 65535)"])
    expect(frameError(() => new PlainFrameDecoder().push(Uint8Array.from([0x00, ...varint(65536), 0x01])))).toEqual([
      "oversized",
      "frame of 65536 bytes announced (limit 65535)",
    ])
  })

  it("an encrypted message holds at most 65535 - 4 - 16 payload bytes; a bad one is garbage", () => {
    expect(encodeNoiseMessage(25, new Uint8Array(65515)).length).toBe(65519)
    expect(frameError(() => encodeNoiseMessage(25, new Uint8Array(65516)))).toEqual(["oversized", "message of 65516 bytes"])
    expect(frameError(() => decodeNoiseMessage(Uint8Array.of(0, 25)))).toEqual(["garbage", "decrypted message of 2 bytes (at least 4)"])
    expect(frameError(() => decodeNoiseMessage(Uint8Array.of(0, 25, 0, 9, 1)))).toEqual([
      "garbage",
      "decrypted message announces 9 bytes, holds 1",
    ])
  })
})

describe("EspHome: protobuf reader edges", () => {
  it("varint() takes non-negative integers only", () => {
    for (const value of [-1, 1.5, Number.NaN]) expect(() => varint(value)).toThrow(`not a varint: ${value}`)
  })

  it("fields: none in an empty message; field number 0 refused; fixed64 read as 8 bytes", () => {
    expect(readFields(new Uint8Array(0))).toEqual([])
    expect(() => readFields(Uint8Array.of(0x00, 0x01))).toThrow("field number 0")
    const fixed64 = Uint8Array.of(0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x18, 0x05)
    expect(readFields(fixed64).map((f) => [f.no, f.wire, "bytes" in f ? hex(f.bytes) : f.value])).toEqual([
      [2, 1, "0102030405060708"],
      [3, 0, 5],
    ])
    expect(() => readFields(Uint8Array.of(0x11, 1, 2, 3))).toThrow("truncated fixed64 field 2")
  })

  it("FieldMap: absent or other-typed fields read as zero; strings cut at their bound, bad UTF-8 replaced", () => {
    const map = new FieldMap(new MessageWriter().uint(1, 5).string(2, "x".repeat(300)).string(3, "short").finish())
    expect([map.fixed32(1), map.float(1), map.fixed32(9), map.float(9), map.uint(2), map.string(1)]).toEqual([0, 0, 0, 0, 0, ""])
    expect(map.string(2).length).toBe(256)
    expect(map.string(2, 10)).toBe("x".repeat(10))
    expect(map.string(3, 5)).toBe("short")
    expect(new FieldMap(Uint8Array.of(0x0a, 0x02, 0x41, 0xff)).string(1)).toBe("A\ufffd")
  })
})

describe("EspHome: the other messages, byte for byte (api.proto's field numbers)", () => {
  it("HelloRequest, HelloResponse, AuthenticationRequest/Response, GetTimeResponse", () => {
    expect(hex(encodeHelloRequest("pollect", 1, 10))).toBe("0a07706f6c6c65637410011" + "80a")
    const hello = { apiMajor: 1, apiMinor: 10, serverInfo: "kitchen (esphome v2025.5.0)", name: "kitchen" }
    expect(decodeHelloResponse(encodeHelloResponse(hello))).toEqual(hello)
    expect(hex(encodeHelloResponse({ apiMajor: 1, apiMinor: 9, serverInfo: "s", name: "n" }))).toBe("080110091a01732201" + "6e")
    expect(hex(encodeAuthenticationRequest(""))).toBe("")
    expect(hex(encodeAuthenticationRequest("pw"))).toBe("0a027077")
    expect(decodeAuthenticationResponse(Uint8Array.of(0x08, 0x01))).toEqual({ invalidPassword: true })
    expect(decodeAuthenticationResponse(new Uint8Array(0))).toEqual({ invalidPassword: false })
    expect(hex(encodeGetTimeResponse(0x65000000))).toBe("0d00000065")
  })

  it("entities without a unit or device class leave those fields out", () => {
    const sensor = encodeEntity({ kind: "sensor", key: 1, objectId: "a", name: "A", deviceClass: "", unit: "" })
    expect([sensor.type, hex(sensor.payload)]).toEqual([MSG.ListEntitiesSensorResponse, "0a016115010000001a0141"])
    const binary = encodeEntity({ kind: "binary_sensor", key: 1, objectId: "a", name: "A", deviceClass: "", unit: "" })
    expect([binary.type, hex(binary.payload)]).toEqual([MSG.ListEntitiesBinarySensorResponse, "0a016115010000001a0141"])
  })

  it("states: a binary sensor's is a bool; a missing state has no value field, only missing_state", () => {
    const on = encodeState("binary_sensor", { key: 1, value: 1 })
    expect([on.type, hex(on.payload)]).toEqual([MSG.BinarySensorStateResponse, "0d010000001001"])
    expect(hex(encodeState("sensor", { key: 1, value: Number.NaN }).payload)).toBe("0d010000001801")
    expect(hex(encodeState("binary_sensor", { key: 1, value: Number.NaN }).payload)).toBe("0d010000001801")
    expect(decodeState(on.type, on.payload)).toEqual({ key: 1, value: 1 })
  })

  it("float32Shortest: the shortest decimal of the float32, up to 9 digits", () => {
    expect(float32Shortest(Math.fround(119236.734))).toBe(119236.734)
    expect(float32Shortest(Math.fround(0.1))).toBe(0.1)
    expect(float32Shortest(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY)
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

  it("an entity without a state yet is left out; of two binary sensors of one series the first is kept; empty sets too", () => {
    const binaries: Entity[] = [
      { kind: "binary_sensor", key: 1, objectId: "d1", name: "Door", deviceClass: "door", unit: "" },
      { kind: "binary_sensor", key: 2, objectId: "d2", name: "Door", deviceClass: "door", unit: "" },
      { kind: "binary_sensor", key: 3, objectId: "m", name: "Motion", deviceClass: "", unit: "" },
      { kind: "sensor", key: 4, objectId: "t", name: "Temp", deviceClass: "temperature", unit: "°C" },
    ]
    const sets = stateSets(
      binaries,
      new Map([
        [1, 1],
        [2, 0],
        [3, 0],
      ]),
    )
    expect(sets.map((s) => s.values.map((v) => [v.name, v.labelValues, v.value]))).toEqual([
      [
        ["binary_door", ["Door"], 1],
        ["binary", ["Motion"], 0],
      ],
    ])
  })

  it("labels each value by the sensor's name", () => {
    const sets = stateSets(
      entities,
      new Map([
        [1, 20.5],
        [3, 7],
        [4, 1],
      ]),
    )
    const result = resultOf(toValueSets(sets), { type: "EspHome" })
    expect(sets.flatMap((set) => set.values.map((value) => promLabels(result, set, value)))).toEqual([
      { name: "Temp" },
      { name: "nameless" },
      { name: "Door" },
    ])
  })

  it("close() says goodbye to the device", async () => {
    const device = await startFakeDevice({ entities: entities.slice(0, 1), states: { 1: 20 } })
    const source = makeSource<EspHomeSource>(EspHomeSource, { type: "EspHome", host: "127.0.0.1", port: device.port })
    try {
      await source.probe()
      await source.close()
      const deadline = Date.now() + 3000
      while (!device.received.includes(MSG.DisconnectRequest) && Date.now() < deadline) await Bun.sleep(10)
      expect(device.received).toContain(MSG.DisconnectRequest)
    } finally {
      await source.close()
      await device.stop()
    }
  })

  it("an empty psk is the plain-text protocol, as no psk", () => {
    expect(makeSource<EspHomeSource>(EspHomeSource, { type: "EspHome", host: "x", psk: "" }).config.psk).toBe("")
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "EspHome", aliases: [], cls: EspHomeSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
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

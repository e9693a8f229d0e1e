/**
 * Noise_NNpsk0_25519_ChaChaPoly_SHA256 (the Noise Protocol Framework, revision 34), the one
 * protocol ESPHome's encrypted native API speaks: CipherState, SymmetricState and the two
 * handshake messages of NNpsk0 (`-> psk, e` / `<- e, ee`), both roles (the responder serves the
 * fake device in tests). ChaCha20-Poly1305 from @noble/ciphers (Bun's node:crypto lacks it),
 * X25519 from @noble/curves, SHA-256 and HMAC from node:crypto.
 */
import { createHash, createHmac } from "node:crypto"
import { chacha20poly1305 } from "@noble/ciphers/chacha.js"
import { x25519 } from "@noble/curves/ed25519.js"

export const NOISE_PROTOCOL = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"
/** ESPHome's prologue: "NoiseAPIInit" and two zero bytes. */
export const ESPHOME_PROLOGUE = new Uint8Array([...new TextEncoder().encode("NoiseAPIInit"), 0, 0])

const DH_LEN = 32
const TAG_LEN = 16

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256")
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac("sha256", key)
  for (const part of parts) mac.update(part)
  return new Uint8Array(mac.digest())
}

/** Noise's HKDF (section 4.3): two or three 32-byte outputs from a chaining key and input key material. */
export function noiseHkdf(chainingKey: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const temp = hmac(chainingKey, ikm)
  const out1 = hmac(temp, Uint8Array.of(1))
  const out2 = hmac(temp, out1, Uint8Array.of(2))
  if (outputs === 2) return [out1, out2]
  return [out1, out2, hmac(temp, out2, Uint8Array.of(3))]
}

/** ChaChaPoly's nonce: 4 zero bytes, then the 64-bit counter little-endian. */
export function nonceBytes(n: number): Uint8Array {
  const nonce = new Uint8Array(12)
  new DataView(nonce.buffer).setBigUint64(4, BigInt(n), true)
  return nonce
}

/** A key and its nonce counter; without a key, encryption is the identity (as the spec says). */
export class CipherState {
  private n = 0
  constructor(private k?: Uint8Array) {}

  hasKey(): boolean {
    return this.k !== undefined
  }

  initializeKey(key: Uint8Array): void {
    this.k = key
    this.n = 0
  }

  encrypt(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.k) return plaintext
    const out = chacha20poly1305(this.k, nonceBytes(this.nextNonce()), ad).encrypt(plaintext)
    return out
  }

  /** Throws "decryption failed" when the tag does not verify (wrong key, altered bytes). */
  decrypt(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.k) return ciphertext
    if (ciphertext.length < TAG_LEN) throw new Error("decryption failed: message shorter than its tag")
    const nonce = nonceBytes(this.n)
    let plain: Uint8Array
    try {
      plain = chacha20poly1305(this.k, nonce, ad).decrypt(ciphertext)
    } catch {
      throw new Error("decryption failed")
    }
    // The counter moves only on success, as in the spec.
    this.nextNonce()
    return plain
  }

  private nextNonce(): number {
    // 2^64-1 is reserved; a counter this high is out of reach in practice (2^53 messages).
    if (this.n >= Number.MAX_SAFE_INTEGER) throw new Error("nonce exhausted")
    return this.n++
  }
}

/** ck, h and the handshake's CipherState (section 5.2). */
export class SymmetricState {
  ck: Uint8Array
  h: Uint8Array
  readonly cipher = new CipherState()

  constructor(protocolName: string) {
    const name = new TextEncoder().encode(protocolName)
    if (name.length <= 32) {
      this.h = new Uint8Array(32)
      this.h.set(name)
    } else {
      this.h = sha256(name)
    }
    this.ck = this.h
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = noiseHkdf(this.ck, ikm, 2) as [Uint8Array, Uint8Array]
    this.ck = ck
    this.cipher.initializeKey(k)
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data)
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, th, k] = noiseHkdf(this.ck, ikm, 3) as [Uint8Array, Uint8Array, Uint8Array]
    this.ck = ck
    this.mixHash(th)
    this.cipher.initializeKey(k)
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encrypt(this.h, plaintext)
    this.mixHash(ciphertext)
    return ciphertext
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decrypt(this.h, ciphertext)
    this.mixHash(ciphertext)
    return plaintext
  }

  /** Two CipherStates: initiator → responder first, responder → initiator second. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = noiseHkdf(this.ck, new Uint8Array(0), 2) as [Uint8Array, Uint8Array]
    return [new CipherState(k1), new CipherState(k2)]
  }
}

/** The transport keys after the handshake, from this side's point of view. */
export interface TransportCiphers {
  send: CipherState
  receive: CipherState
}

export interface HandshakeOptions {
  psk: Uint8Array
  prologue?: Uint8Array
  /** This side's ephemeral private key; random unless a test fixes it (known-answer vectors). */
  ephemeralPrivate?: Uint8Array
}

/** The NNpsk0 handshake, two messages, initiator or responder. */
export class NNpsk0Handshake {
  private readonly ss = new SymmetricState(NOISE_PROTOCOL)
  private readonly ePriv: Uint8Array
  private readonly ePub: Uint8Array
  private remoteE?: Uint8Array

  constructor(
    readonly role: "initiator" | "responder",
    private readonly options: HandshakeOptions,
  ) {
    if (options.psk.length !== 32) throw new Error("the Noise psk must be 32 bytes")
    this.ePriv = options.ephemeralPrivate ?? x25519.utils.randomSecretKey()
    this.ePub = x25519.getPublicKey(this.ePriv)
    this.ss.mixHash(options.prologue ?? ESPHOME_PROLOGUE)
  }

  /** Initiator: `-> psk, e` with an (empty) encrypted payload. */
  writeMessage1(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    this.expectRole("initiator")
    this.ss.mixKeyAndHash(this.options.psk)
    this.ss.mixHash(this.ePub)
    this.ss.mixKey(this.ePub)
    return concat(this.ePub, this.ss.encryptAndHash(payload))
  }

  /** Responder: reads `psk, e`; a wrong psk throws "decryption failed". */
  readMessage1(message: Uint8Array): Uint8Array {
    this.expectRole("responder")
    if (message.length < DH_LEN + TAG_LEN) throw new Error(`handshake message too short (${message.length} bytes)`)
    this.ss.mixKeyAndHash(this.options.psk)
    this.remoteE = message.slice(0, DH_LEN)
    this.ss.mixHash(this.remoteE)
    this.ss.mixKey(this.remoteE)
    return this.ss.decryptAndHash(message.subarray(DH_LEN))
  }

  /** Responder: `<- e, ee`; returns the message and the transport ciphers. */
  writeMessage2(payload: Uint8Array = new Uint8Array(0)): { message: Uint8Array; ciphers: TransportCiphers } {
    this.expectRole("responder")
    if (!this.remoteE) throw new Error("readMessage1 first")
    this.ss.mixHash(this.ePub)
    this.ss.mixKey(this.ePub)
    this.ss.mixKey(x25519.getSharedSecret(this.ePriv, this.remoteE))
    const message = concat(this.ePub, this.ss.encryptAndHash(payload))
    const [toResponder, toInitiator] = this.ss.split()
    return { message, ciphers: { send: toInitiator, receive: toResponder } }
  }

  /** Initiator: reads `e, ee`; a responder with another psk throws "decryption failed". */
  readMessage2(message: Uint8Array): { payload: Uint8Array; ciphers: TransportCiphers } {
    this.expectRole("initiator")
    if (message.length < DH_LEN + TAG_LEN) throw new Error(`handshake message too short (${message.length} bytes)`)
    const remoteE = message.slice(0, DH_LEN)
    this.ss.mixHash(remoteE)
    this.ss.mixKey(remoteE)
    this.ss.mixKey(x25519.getSharedSecret(this.ePriv, remoteE))
    const payload = this.ss.decryptAndHash(message.subarray(DH_LEN))
    const [toResponder, toInitiator] = this.ss.split()
    return { payload, ciphers: { send: toResponder, receive: toInitiator } }
  }

  /** The handshake hash so far (tests). */
  get handshakeHash(): Uint8Array {
    return this.ss.h
  }

  private expectRole(role: "initiator" | "responder"): void {
    if (this.role !== role) throw new Error(`only the ${role} does this`)
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let pos = 0
  for (const part of parts) {
    out.set(part, pos)
    pos += part.length
  }
  return out
}

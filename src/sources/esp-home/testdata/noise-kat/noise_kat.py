#!/usr/bin/env python3
"""Known-answer vectors for pollect's Noise_NNpsk0_25519_ChaChaPoly_SHA256 (ESPHome's native API).

An implementation independent of pollect's: Debian's python3-cryptography (X25519,
ChaCha20Poly1305) and Python's hashlib/hmac, following the Noise spec (revision 34) step by step.
Fixed ephemeral keys and psk, so the bytes are reproducible:

    python3 src/sources/esp-home/testdata/noise-kat/noise_kat.py > src/sources/esp-home/testdata/noise-kat/vectors.json
"""
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

PROTOCOL = b"Noise_NNpsk0_25519_ChaChaPoly_SHA256"
PROLOGUE = b"NoiseAPIInit\x00\x00"
PSK = bytes(range(0x40, 0x60))
INITIATOR_E = bytes(range(0x00, 0x20))
RESPONDER_E = bytes(range(0x20, 0x40))
# HelloRequest{client_info: "pollect", api_version_major: 1, api_version_minor: 10}, type 1
CLIENT_PLAINTEXT = struct.pack(">HH", 1, 11) + b"\x0a\x07pollect\x10\x01\x18\x0a"
# HelloResponse{api_version_major: 1, api_version_minor: 10, server_info: "fake", name: "x"}, type 2
SERVER_PLAINTEXT = struct.pack(">HH", 2, 13) + b"\x08\x01\x10\x0a\x1a\x04fake\x22\x01x"


def pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dh(priv, remote_pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(remote_pub))


def hkdf(ck, ikm, n):
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    out1 = hmac.new(temp, b"\x01", hashlib.sha256).digest()
    out2 = hmac.new(temp, out1 + b"\x02", hashlib.sha256).digest()
    if n == 2:
        return out1, out2
    return out1, out2, hmac.new(temp, out2 + b"\x03", hashlib.sha256).digest()


def nonce(n):
    return b"\x00\x00\x00\x00" + struct.pack("<Q", n)


class Symmetric:
    def __init__(self):
        self.h = hashlib.sha256(PROTOCOL).digest() if len(PROTOCOL) > 32 else PROTOCOL.ljust(32, b"\x00")
        self.ck = self.h
        self.k = None
        self.n = 0

    def mix_hash(self, data):
        self.h = hashlib.sha256(self.h + data).digest()

    def mix_key(self, ikm):
        self.ck, self.k = hkdf(self.ck, ikm, 2)
        self.n = 0

    def mix_key_and_hash(self, ikm):
        self.ck, th, self.k = hkdf(self.ck, ikm, 3)
        self.mix_hash(th)
        self.n = 0

    def encrypt_and_hash(self, plaintext):
        ct = ChaCha20Poly1305(self.k).encrypt(nonce(self.n), plaintext, self.h)
        self.n += 1
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        pt = ChaCha20Poly1305(self.k).decrypt(nonce(self.n), ct, self.h)
        self.n += 1
        self.mix_hash(ct)
        return pt

    def split(self):
        return hkdf(self.ck, b"", 2)


# Initiator, message 1: -> psk, e
ini = Symmetric()
ini.mix_hash(PROLOGUE)
ini.mix_key_and_hash(PSK)
ei_pub = pub(INITIATOR_E)
ini.mix_hash(ei_pub)
ini.mix_key(ei_pub)
message1 = ei_pub + ini.encrypt_and_hash(b"")

# Responder reads message 1, writes message 2: <- e, ee
res = Symmetric()
res.mix_hash(PROLOGUE)
res.mix_key_and_hash(PSK)
res.mix_hash(message1[:32])
res.mix_key(message1[:32])
res.decrypt_and_hash(message1[32:])
er_pub = pub(RESPONDER_E)
res.mix_hash(er_pub)
res.mix_key(er_pub)
res.mix_key(dh(RESPONDER_E, message1[:32]))
message2 = er_pub + res.encrypt_and_hash(b"")

# Initiator reads message 2
ini.mix_hash(message2[:32])
ini.mix_key(message2[:32])
ini.mix_key(dh(INITIATOR_E, message2[:32]))
ini.decrypt_and_hash(message2[32:])
assert ini.h == res.h
k_to_responder, k_to_initiator = ini.split()

client_frame = ChaCha20Poly1305(k_to_responder).encrypt(nonce(0), CLIENT_PLAINTEXT, b"")
server_frame = ChaCha20Poly1305(k_to_initiator).encrypt(nonce(0), SERVER_PLAINTEXT, b"")

print(json.dumps({
    "tool": "python3-cryptography + hashlib/hmac (testdata/noise-kat/noise_kat.py)",
    "psk": PSK.hex(),
    "initiatorEphemeral": INITIATOR_E.hex(),
    "responderEphemeral": RESPONDER_E.hex(),
    "message1": message1.hex(),
    "message2": message2.hex(),
    "handshakeHash": ini.h.hex(),
    "clientPlaintext": CLIENT_PLAINTEXT.hex(),
    "clientCiphertext": client_frame.hex(),
    "serverPlaintext": SERVER_PLAINTEXT.hex(),
    "serverCiphertext": server_frame.hex(),
}, indent=2))

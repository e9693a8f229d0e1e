/** A self-signed certificate for 127.0.0.1, made with openssl, for TLS tests on loopback. */
import { expect } from "bun:test"
import { join } from "node:path"

/** Writes `key.pem` and `cert.pem` (valid one day, SAN IP:127.0.0.1) into `dir`. */
export function selfSignedCert(dir: string): { key: string; cert: string } {
  const key = join(dir, "key.pem")
  const cert = join(dir, "cert.pem")
  const argv = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
  argv.push("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert)
  const openssl = Bun.spawnSync(argv, { stderr: "pipe" })
  expect(openssl.exitCode).toBe(0)
  return { key, cert }
}

/**
 * One TLS handshake to read a server's certificates: `node:tls` with SNI, the chain accepted
 * whatever it is (`rejectUnauthorized: false`: an expired or self-signed certificate is exactly
 * what is to be reported), its verification against the trusted roots and the host name
 * reported beside it. The socket is closed right after the handshake; nothing is sent.
 */
import { checkServerIdentity, connect, type DetailedPeerCertificate, type SecureContext } from "node:tls"
import type { Target } from "./target.ts"

/** What a certificate of the chain says, in ms since the epoch. */
export interface CertDates {
  subject: string
  notBefore: number
  notAfter: number
}

export interface PeerChain {
  /** The leaf first, then its issuers as the handshake (and the trust store) gave them. */
  chain: CertDates[]
  /** Whether the chain verifies against the trusted roots and names the host. */
  verified: boolean
  /** Why not (`CERT_HAS_EXPIRED`, `DEPTH_ZERO_SELF_SIGNED_CERT`, a host name mismatch). */
  verifyError?: string
}

/** Chains longer than this are cut (a real one has 2 to 4 certificates). */
const MAX_CHAIN = 16

/** The certificates of a peer certificate's issuer chain, leaf first, each once. */
export function chainDates(leaf: DetailedPeerCertificate): CertDates[] {
  const dates: CertDates[] = []
  const seen = new Set<DetailedPeerCertificate>()
  for (
    let cert: DetailedPeerCertificate | undefined = leaf;
    cert && !seen.has(cert) && dates.length < MAX_CHAIN;
    cert = cert.issuerCertificate
  ) {
    seen.add(cert)
    if (!cert.valid_to) break
    const notBefore = Date.parse(cert.valid_from)
    const notAfter = Date.parse(cert.valid_to)
    if (Number.isNaN(notBefore) || Number.isNaN(notAfter))
      throw new Error(`unreadable validity dates: ${cert.valid_from} / ${cert.valid_to}`)
    dates.push({ subject: String(cert.subject?.CN ?? ""), notBefore, notAfter })
  }
  return dates
}

/** Handshakes with `target`; rejects on a refused connection, a failed handshake or after `timeoutMs`. */
export function peerChain(
  target: Target,
  options: { secureContext: SecureContext; timeoutMs: number; signal: AbortSignal },
): Promise<PeerChain> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(options.signal.reason)
    let settled = false
    const socket = connect({
      host: target.host,
      port: target.port,
      servername: target.servername,
      rejectUnauthorized: false,
      secureContext: options.secureContext,
    })
    const finish = (error: Error | undefined, chain?: PeerChain) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal.removeEventListener("abort", onAbort)
      socket.destroy()
      if (error) reject(error)
      else resolve(chain!)
    }
    const timer = setTimeout(() => finish(new Error(`no TLS handshake within ${options.timeoutMs / 1000} s`)), options.timeoutMs)
    const onAbort = () => finish(options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted"))
    options.signal.addEventListener("abort", onAbort, { once: true })
    socket.once("secureConnect", () => {
      try {
        const leaf = socket.getPeerCertificate(true)
        if (!leaf?.valid_to) return finish(new Error("the server sent no certificate"))
        let verifyError = socket.authorized ? undefined : String(socket.authorizationError ?? "not verified")
        // Bun checks the name itself (ERR_TLS_CERT_ALTNAME_INVALID), Node does not: either way, say which names the certificate has.
        if (!verifyError || verifyError.includes("ALTNAME")) {
          const mismatch = checkServerIdentity(target.servername ?? target.host, leaf)
          if (mismatch) verifyError = mismatch.message
        }
        finish(undefined, { chain: chainDates(leaf), verified: verifyError === undefined, verifyError })
      } catch (error) {
        finish(error as Error)
      }
    })
    socket.once("error", (error: Error & { code?: string }) => {
      const what = error.code === "ECONNREFUSED" ? "connection refused" : error.message
      finish(new Error(`TLS handshake failed: ${what}`))
    })
    socket.once("close", () => finish(new Error("the server closed the connection during the TLS handshake")))
  })
}

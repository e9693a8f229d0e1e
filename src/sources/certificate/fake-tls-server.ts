/**
 * Test certificates and TLS servers for Certificate's tests: keys and certificates made with
 * `openssl` (`req` for the requests, `ca` to sign them with exact validity dates, which
 * `x509 -days` cannot give in OpenSSL 3.0), served by real `openssl s_server` processes on
 * loopback, and a TCP server that accepts and never answers the handshake.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { createServer, type Server, type Socket } from "node:net"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import { freePort, stopProcess } from "../../../test/helpers/processes.ts"

export interface Issued {
  cert: string
  key: string
}

export interface CertSpec {
  cn: string
  notBefore: Date
  notAfter: Date
  /** Absent: self-signed. */
  issuer?: Issued
  ca?: boolean
}

const CONFIG = (dir: string) => `
[ca]
default_ca = here
[here]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/new
serial = ${dir}/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_ext]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate` takes. */
const asn1Time = (date: Date) => date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"

function run(argv: string[]): void {
  const done = Bun.spawnSync(argv, { stderr: "pipe", stdout: "pipe" })
  if (done.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${done.stderr.toString()}`)
}

/** A folder in which `issue()` makes keys and certificates (P-256 keys: fast). */
export function certFactory(dir = tempDir("pollect-certs-")) {
  mkdirSync(join(dir, "new"), { recursive: true })
  writeFileSync(join(dir, "index.txt"), "")
  writeFileSync(join(dir, "serial"), "1000\n")
  const config = join(dir, "openssl.cnf")
  writeFileSync(config, CONFIG(dir))
  return {
    dir,
    issue(spec: CertSpec): Issued {
      const key = join(dir, `${spec.cn}.key`)
      const csr = join(dir, `${spec.cn}.csr`)
      const cert = join(dir, `${spec.cn}.pem`)
      run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
      run(["openssl", "req", "-new", "-key", key, "-subj", `/CN=${spec.cn}`, "-out", csr])
      const signer = spec.issuer ? ["-cert", spec.issuer.cert, "-keyfile", spec.issuer.key] : ["-selfsign", "-keyfile", key]
      run([
        "openssl",
        "ca",
        "-batch",
        "-notext",
        "-config",
        config,
        "-in",
        csr,
        "-out",
        cert,
        ...signer,
        "-startdate",
        asn1Time(spec.notBefore),
        "-enddate",
        asn1Time(spec.notAfter),
        "-extensions",
        spec.ca ? "ca_ext" : "leaf_ext",
      ])
      return { cert, key }
    },
  }
}

export interface TlsServer {
  port: number
  stop(): Promise<void>
}

/** `openssl s_server` on 127.0.0.1 with `leaf` and the `chain` certificates it sends after it; resolves once it listens. */
export async function startSServer(leaf: Issued, chain: string[] = [], sni?: { servername: string; cert2: Issued }): Promise<TlsServer> {
  const port = freePort()
  const argv = ["openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-cert", leaf.cert, "-key", leaf.key, "-quiet"]
  // `-servername` with `-cert2`: a client sending that SNI name gets the second certificate
  if (sni) argv.push("-servername", sni.servername, "-cert2", sni.cert2.cert, "-key2", sni.cert2.key)
  if (chain.length > 0) {
    const file = `${leaf.cert}.chain.pem`
    writeFileSync(file, (await Promise.all(chain.map((c) => Bun.file(c).text()))).join(""))
    argv.push("-cert_chain", file)
  }
  const child = Bun.spawn(argv, { stdin: "pipe", stdout: "ignore", stderr: "pipe" })
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })
      socket.end()
      break
    } catch {
      if (child.exitCode !== null) throw new Error(`openssl s_server exited with code ${child.exitCode}`)
      if (Date.now() > deadline) throw new Error("openssl s_server did not listen within 10 s")
      await Bun.sleep(20)
    }
  }
  return { port, stop: () => stopProcess(child, 2000) }
}

/** A TCP server that accepts and never says a word: a handshake to it can only time out. */
export async function startSilentServer(): Promise<TlsServer & { acceptedAt: () => number[] }> {
  const sockets: Socket[] = []
  const acceptedAt: number[] = []
  const server: Server = createServer((socket) => {
    sockets.push(socket)
    acceptedAt.push(Date.now())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    acceptedAt: () => [...acceptedAt],
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The part of the `net-snmp` package (plain JS, no bundled types) that pollect uses. */
declare module "net-snmp" {
  import type { EventEmitter } from "node:events"

  export interface Varbind {
    oid: string
    type: number
    /** number for integer types, Buffer for OctetString/Opaque and Counter64 (big-endian). */
    value: unknown
  }

  export interface SessionOptions {
    port?: number
    retries?: number
    timeout?: number
    backoff?: number
    transport?: "udp4" | "udp6"
    version?: number
    idBitsSize?: 16 | 32
  }

  export interface User {
    name: string
    level: number
    authProtocol?: string
    authKey?: string
    privProtocol?: string
    privKey?: string
  }

  export interface Session extends EventEmitter {
    get(oids: string[], callback: (error: Error | null, varbinds?: Varbind[]) => void): void
    close(): void
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session
  export function createV3Session(target: string, user: User, options?: SessionOptions): Session
  export function isVarbindError(varbind: Varbind): boolean

  export const Version1: number
  export const Version2c: number
  export const Version3: number
  export const ObjectType: Record<string, number> & Record<number, string>
  export const ErrorStatus: Record<string, number> & Record<number, string>
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number }
  export const AuthProtocols: Record<"md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512", string>
  export const PrivProtocols: Record<"des" | "aes" | "aes256b" | "aes256r", string>

  export class RequestTimedOutError extends Error {}
  export class RequestFailedError extends Error {
    status: number
  }

  const snmp: {
    createSession: typeof createSession
    createV3Session: typeof createV3Session
    isVarbindError: typeof isVarbindError
    Version1: number
    Version2c: number
    Version3: number
    ObjectType: typeof ObjectType
    ErrorStatus: typeof ErrorStatus
    SecurityLevel: typeof SecurityLevel
    AuthProtocols: typeof AuthProtocols
    PrivProtocols: typeof PrivProtocols
    RequestTimedOutError: typeof RequestTimedOutError
    RequestFailedError: typeof RequestFailedError
  }
  export default snmp
}

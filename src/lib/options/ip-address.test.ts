import { describe, expect, it } from "bun:test"
import { isIPv4Address, isIpLiteral } from "./ip-address.ts"

describe("ip-address", () => {
  it("isIpLiteral: IPv4 and IPv6 addresses, never a host name", () => {
    expect(["192.168.1.10", "::1", "fe80::1", "2001:db8::8a2e:370:7334"].map(isIpLiteral)).toEqual([true, true, true, true])
    expect(["example.org", "localhost", "192.168.1", "[::1]", ""].map(isIpLiteral)).toEqual([false, false, false, false, false])
  })

  it("isIPv4Address: dotted IPv4 only", () => {
    expect(["0.0.0.0", "239.12.255.254"].map(isIPv4Address)).toEqual([true, true])
    expect(["::1", "256.1.1.1", "1.2.3", "host"].map(isIPv4Address)).toEqual([false, false, false, false])
  })
})

/**
 * IP address checks for option schemas, with node:net required on first use, not imported: option
 * schemas load at start and node:net costs a daemon about 8 MB (bench/RESULTS.md, "Footprint").
 *
 * @example
 * isIPv4Address("192.168.1.10") // true
 * isIpLiteral("example.org")    // false
 */
const net = () => require("node:net") as typeof import("node:net")

/** An IPv4 or IPv6 address (no host name). */
export function isIpLiteral(text: string): boolean {
  return net().isIP(text) !== 0
}

/** An IPv4 address in dotted form. */
export function isIPv4Address(text: string): boolean {
  return net().isIPv4(text)
}

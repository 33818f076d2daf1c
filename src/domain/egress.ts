/**
 * Egress classification for outbound postbacks (DESIGN §4, SSRF guard; docs/ssrf.md). Pure: which
 * hosts and addresses Postwire may call. Resolution and connecting live in
 * src/adapters/delivery/egress-guard.ts.
 *
 * IP literals are first normalised by the WHATWG URL parser, which turns every IPv4 spelling
 * browsers and libcurl accept (2130706433, 0x7f.1, 0177.0.0.1, 127.1…) into dotted decimal and
 * compresses IPv6, so one table of ranges covers them all. IPv6 forms that embed an IPv4 address
 * (mapped, NAT64, 6to4, Teredo) are judged by the IPv4 address they lead to.
 */
import { isIP } from "node:net";
import type { Result } from "./errors.ts";
import { fail, ok } from "./errors.ts";
import type { CidrList } from "./ip.ts";
import { parseCidrList, parseIpv6 } from "./ip.ts";

export interface BlockVerdict {
  readonly blocked: boolean;
  /** The blocked range's name ("loopback 127.0.0.0/8"), when blocked. */
  readonly range?: string;
}

/**
 * Explicit exceptions, off by default: for tests and on-prem receivers. Plain data (config holds
 * it); `compileAllowlist` turns it into an `AllowMatcher`. An address in `cidrs` is allowed whatever
 * its range; a host in `hosts` is allowed whatever it resolves to.
 */
export interface EgressAllowlist {
  /** IPs and CIDRs: "127.0.0.1", "10.1.0.0/16", "fd00::/8". */
  readonly cidrs?: readonly string[];
  /** Lower-case host names without a trailing dot; "*.corp.example" allows every sub-domain. */
  readonly hosts?: readonly string[];
}

/** A compiled allowlist. */
export interface AllowMatcher {
  allowsAddress(ip: string): boolean;
  allowsHost(host: string): boolean;
}

const ALLOWED: BlockVerdict = { blocked: false };

/** IPv4 special-purpose ranges (IANA registry) that are not globally reachable. Broadcast first. */
const IPV4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ["255.255.255.255", 32, "broadcast"],
  ["0.0.0.0", 8, "unspecified (this network)"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation (TEST-NET-1)"],
  ["192.88.99.0", 24, "6to4 relay anycast"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation (TEST-NET-2)"],
  ["203.0.113.0", 24, "documentation (TEST-NET-3)"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

/** IPv6 ranges refused outright. Embedded-IPv4 forms are handled before this table. */
const IPV6_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["::", 96, "IPv4-compatible (deprecated)"],
  ["64:ff9b:1::", 48, "NAT64 local-use"],
  ["100::", 64, "discard-only"],
  ["2001:2::", 48, "benchmarking"],
  ["2001:10::", 28, "ORCHID (deprecated)"],
  ["2001:20::", 28, "ORCHIDv2"],
  ["2001:db8::", 32, "documentation"],
  ["3fff::", 20, "documentation"],
  ["5f00::", 16, "SRv6 SIDs"],
  ["fc00::", 7, "unique local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local (deprecated)"],
  ["ff00::", 8, "multicast"],
];

/** Cloud metadata and local names, refused by name before any DNS lookup. */
const BLOCKED_NAMES = new Set([
  "localhost",
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

/** Every blocked CIDR and name, for docs/ssrf.md (kept in step by a test). */
export const BLOCKED_CIDRS: readonly string[] = [...IPV4_RANGES, ...IPV6_RANGES].map(([base, bits]) =>
  bits === (base.includes(":") ? 128 : 32) ? base : `${base}/${bits}`,
);
export const BLOCKED_HOST_NAMES: readonly string[] = [...BLOCKED_NAMES];

interface Range {
  readonly bytes: Uint8Array;
  readonly bits: number;
  readonly name: string;
}

/** A dotted-decimal IPv4 address (already validated) as an unsigned 32-bit number; no allocation. */
function ipv4ToInt(ip: string): number {
  let value = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      value = value * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return value * 256 + part;
}

const V6_RANGES: readonly Range[] = IPV6_RANGES.map(([base, bits, name]) => ({
  bytes: parseIpv6(base),
  bits,
  name: `${name} ${base}/${bits}`,
}));

const V4_RANGES = IPV4_RANGES.map(([base, bits, name]) => ({
  base: ipv4ToInt(base),
  shift: 32 - bits,
  name: `${name} ${base}/${bits}`,
}));

function inV6Range(bytes: Uint8Array, range: Range): boolean {
  const full = range.bits >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== range.bytes[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[full] ?? 0) & mask) === ((range.bytes[full] ?? 0) & mask);
}

function classifyV4(value: number): BlockVerdict {
  for (const range of V4_RANGES) {
    // shift 32 would be a no-op in JS, but no range is /0.
    if (value >>> range.shift === range.base >>> range.shift) return { blocked: true, range: range.name };
  }
  return ALLOWED;
}

const v4At = (b: Uint8Array, i: number): number =>
  (((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)) >>> 0;

/** An IPv4 address an IPv6 address leads to (mapped, NAT64 well-known, 6to4, Teredo client), or null. */
function embeddedIpv4(b: Uint8Array): { readonly via: string; readonly v4: number } | null {
  const zeroUpTo = (n: number): boolean => b.subarray(0, n).every((x) => x === 0);
  if (zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff) return { via: "IPv4-mapped", v4: v4At(b, 12) };
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.subarray(4, 12).every((x) => !x))
    return { via: "NAT64", v4: v4At(b, 12) };
  if (b[0] === 0x20 && b[1] === 0x02) return { via: "6to4", v4: v4At(b, 2) };
  // Teredo 2001::/32: the client address is the last 32 bits, bit-inverted.
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0)
    return { via: "Teredo", v4: ~v4At(b, 12) >>> 0 };
  return null;
}

function classifyV6(address: string): BlockVerdict {
  const bytes = parseIpv6(address);
  const embedded = embeddedIpv4(bytes);
  if (embedded !== null) {
    const inner = classifyV4(embedded.v4);
    return inner.blocked ? { blocked: true, range: `${embedded.via} ${inner.range}` } : ALLOWED;
  }
  for (const range of V6_RANGES) if (inV6Range(bytes, range)) return { blocked: true, range: range.name };
  // Outside 2000::/3 nothing is assigned for global unicast (RFC 4291, IANA).
  if (((bytes[0] ?? 0) & 0xe0) !== 0x20) return { blocked: true, range: "reserved (outside 2000::/3)" };
  return ALLOWED;
}

/**
 * The IP address a URL host or raw host string denotes, or null for a host name. Accepts
 * `URL.hostname` (bracketed IPv6) and raw forms: any IPv4 spelling the WHATWG parser accepts, IPv6
 * with or without brackets and with a zone id ("fe80::1%eth0", "%25" encoded), which is dropped.
 * IPv4 comes back dotted-decimal, IPv6 as written by the URL parser (lower-case, compressed).
 */
export function hostToIp(host: string): string | null {
  let text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (text.includes(":")) {
    const zone = text.indexOf("%");
    if (zone >= 0) text = text.slice(0, zone);
    return isIP(text) === 6 ? text.toLowerCase() : null;
  }
  if (isIP(text) === 4) return text;
  if (text === "" || /[\s/\\?#@:[\]]/.test(text)) return null;
  try {
    const parsed = new URL(`http://${text}/`).hostname;
    return isIP(parsed) === 4 ? parsed : null;
  } catch {
    return null;
  }
}

/** Whether an IP address (any form `hostToIp` accepts) is in a blocked range; garbage is blocked. */
export function isBlockedAddress(ip: string): BlockVerdict {
  const family = isIP(ip);
  if (family === 4) return classifyV4(ipv4ToInt(ip));
  if (family === 6 && !ip.includes("%")) return classifyV6(ip);
  const address = hostToIp(ip);
  if (address === null) return { blocked: true, range: "not an IP address" };
  return isIP(address) === 4 ? classifyV4(ipv4ToInt(address)) : classifyV6(address);
}

/** Host name comparison form: lower-case, without trailing dots. */
export const canonicalHostName = (host: string): string => host.toLowerCase().replace(/\.+$/, "");

/** Whether a host name (not an IP literal) is refused by name: cloud metadata and localhost. */
export function isBlockedHostName(host: string): BlockVerdict {
  const name = canonicalHostName(host);
  if (BLOCKED_NAMES.has(name) || name.endsWith(".localhost")) return { blocked: true, range: `name ${name}` };
  return ALLOWED;
}

/** Compile an allowlist; throws a RangeError on an entry `parseEgressAllowlist` would refuse. */
export function compileAllowlist(allow: EgressAllowlist | undefined): AllowMatcher {
  const parsed = parseCidrList(allow?.cidrs ?? [], "allowlist");
  if (!parsed.ok) throw new RangeError(parsed.error.message);
  const cidrs: CidrList = parsed.value;
  const hosts = (allow?.hosts ?? []).map(canonicalHostName);
  return {
    allowsAddress: (ip) => cidrs.entries.length > 0 && cidrs.contains(ip),
    allowsHost(host) {
      if (hosts.length === 0) return false;
      const name = canonicalHostName(host);
      return hosts.some(
        (entry) => entry === name || (entry.startsWith("*.") && name.endsWith(entry.slice(1))),
      );
    },
  };
}

/** `isBlockedAddress`, with the allowlist's CIDRs taking precedence. */
export function checkAddress(ip: string, allow: AllowMatcher | undefined): BlockVerdict {
  const verdict = isBlockedAddress(ip);
  if (verdict.blocked && allow?.allowsAddress(ip)) return ALLOWED;
  return verdict;
}

const HOST_ENTRY = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * Parse allowlist entries: IPs and CIDRs ("127.0.0.1", "10.1.0.0/16", "fd00::/8") go to `cidrs`,
 * host names ("receiver.corp", "*.corp.example") to `hosts`. An empty list allows nothing extra.
 */
export function parseEgressAllowlist(entries: readonly string[], field: string): Result<EgressAllowlist> {
  const cidrEntries: string[] = [];
  const hosts: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "") continue;
    if (entry.includes("/") || isIP(entry) !== 0) cidrEntries.push(entry);
    else if (HOST_ENTRY.test(canonicalHostName(entry))) hosts.push(canonicalHostName(entry));
    else
      return fail(
        "invalid_field",
        `${field}: ${JSON.stringify(raw)} is neither a CIDR nor a host name.`,
        field,
      );
  }
  const cidrs = parseCidrList(cidrEntries, field);
  if (!cidrs.ok) return cidrs;
  return ok({ cidrs: cidrs.value.entries, hosts });
}

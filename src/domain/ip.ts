/**
 * IP address handling: normalisation, privacy-safe storage forms (DESIGN §1), CIDR allowlists and
 * the client address behind trusted proxies (DESIGN §2). Pure: `node:net` is used only for parsing
 * and matching, never for I/O.
 */

import { BlockList, isIP } from "node:net";
import type { Result } from "./errors.ts";
import { fail, ok } from "./errors.ts";
import { hmacSha256 } from "./hmac.ts";

/** How a client IP is kept in storage. */
export const IP_PRIVACY_MODES = ["full", "truncate", "hash", "none"] as const;
export type IpPrivacyMode = (typeof IP_PRIVACY_MODES)[number];

/** 16 bytes of an IPv6 address; the input must already have passed `isIP(...) === 6` (no zone). */
export function parseIpv6(address: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let text = address;
  let tail: number[] = [];
  // An embedded IPv4 tail ("::ffff:1.2.3.4") stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    tail = text
      .slice(lastColon + 1)
      .split(".")
      .map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const groups =
    rest === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - restGroups.length).fill("0"), ...restGroups];
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

/** RFC 5952 text form: lower-case, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (part: number[]): string => part.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** ::ffff:0:0/96 — IPv4 addresses seen through an IPv6 socket. */
function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Normalise an address: strip an IPv6 zone ("fe80::1%eth0"), map "::ffff:a.b.c.d" to "a.b.c.d",
 * and write IPv6 in RFC 5952 canonical form (lower-case, compressed), so that one address has
 * one spelling for matching, hashing and storage. `null` if `ip` is not an IP address.
 */
export function normaliseIp(ip: string): string | null {
  if (typeof ip !== "string") return null;
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return null;
  const zone = ip.indexOf("%");
  const bytes = parseIpv6(zone < 0 ? ip : ip.slice(0, zone));
  if (isIpv4Mapped(bytes)) return Array.from(bytes.subarray(12)).join(".");
  return formatIpv6(bytes);
}

/**
 * Privacy-safe form of a client IP for storage. `full`: the normalised address; `truncate`: IPv4
 * keeps its /24 ("203.0.113.0"), IPv6 its /48 ("2001:db8:abcd::"), IPv4-mapped IPv6 counts as
 * IPv4; `hash`: "h:" + first 16 hex characters of HMAC-SHA256(salt, normalised address), stable
 * per salt so repeat visits can be correlated without keeping the address; `none`: `null`.
 * Invalid input gives `null`.
 */
export function privacySafeIp(ip: string, mode: IpPrivacyMode, salt: Uint8Array): string | null {
  const address = normaliseIp(ip);
  if (address === null) return null;
  switch (mode) {
    case "full":
      return address;
    case "truncate": {
      if (isIP(address) === 4) return address.replace(/\.\d+$/, ".0");
      const bytes = parseIpv6(address);
      bytes.fill(0, 6);
      return formatIpv6(bytes);
    }
    case "hash":
      return `h:${hmacSha256(salt).update(address).digest("hex").slice(0, 16)}`;
    case "none":
      return null;
  }
}

/** A parsed CIDR list (IPv4 and IPv6; a bare address means /32 or /128). */
export interface CidrList {
  /** The entries in normalised "address/prefix" form, in the order given. */
  readonly entries: readonly string[];
  /**
   * Whether `ip` falls in any entry. IPv4-mapped IPv6 matches IPv4 entries; an IPv6 entry that
   * covers ::ffff:0:0/96 (such as ::/0) also covers IPv4. Never throws; `false` for garbage.
   */
  contains(ip: string): boolean;
}

const PREFIX = /^\d+$/;

/**
 * Parse CIDR strings ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7"); surrounding whitespace is
 * ignored. On the first bad entry (bad address, non-numeric prefix, prefix out of range) returns
 * `fail("invalid_field", message naming the entry, field)`.
 */
export function parseCidrList(entries: readonly string[], field: string): Result<CidrList> {
  const blockList = new BlockList();
  const normalised: string[] = [];
  for (const raw of entries) {
    const entry = typeof raw === "string" ? raw.trim() : "";
    const bad = (why: string): Result<CidrList> =>
      fail("invalid_field", `${field}: ${JSON.stringify(raw)} is not a valid CIDR entry (${why}).`, field);
    const parts = entry.split("/");
    if (parts.length > 2) return bad("more than one '/'");
    const [addressText = "", prefixText] = parts;
    // Zones are meaningless in an allowlist, so refuse them rather than silently dropping them.
    const address = addressText.includes("%") ? null : normaliseIp(addressText);
    if (address === null) return bad("not an IP address");
    let family = isIP(address) === 4 ? 4 : 6;
    // A mapped entry ("::ffff:10.0.0.0/104") was normalised to IPv4: its prefix shifts by 96.
    const mapped = family === 4 && isIP(addressText) === 6;
    const max = mapped ? 128 : family === 4 ? 32 : 128;
    let prefix = max;
    if (prefixText !== undefined) {
      if (!PREFIX.test(prefixText)) return bad(`prefix ${JSON.stringify(prefixText)} is not a number`);
      prefix = Number(prefixText);
      if (prefix > max) return bad(`prefix ${prefix} is out of range 0-${max}`);
    }
    let base = address;
    if (mapped) {
      if (prefix >= 96) prefix -= 96;
      else {
        // Wider than the mapped range: keep it as the IPv6 subnet it is.
        base = formatIpv6(parseIpv6(addressText));
        family = 6;
      }
    }
    blockList.addSubnet(base, prefix, family === 4 ? "ipv4" : "ipv6");
    normalised.push(`${base}/${prefix}`);
  }
  return ok({
    entries: normalised,
    contains(ip: string): boolean {
      const address = normaliseIp(ip);
      if (address === null) return false;
      try {
        return blockList.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
      } catch {
        return false;
      }
    },
  });
}

/**
 * The client address of a request. Without trusted proxies, or when the socket peer is not one,
 * it is the peer address and X-Forwarded-For is ignored (anyone can send it). Behind a trusted
 * proxy, X-Forwarded-For is walked from the right, skipping trusted proxies, and the first
 * untrusted address is the client; if every hop is trusted, the left-most. `forwardedFor` may be
 * absent, one header with comma-separated values, or several headers (taken in order). On a
 * malformed entry the walk stops at the last trusted hop examined: garbage is never trusted.
 * Returns the normalised address, or `remoteAddress` as given if it cannot be normalised.
 */
export function clientIp(
  remoteAddress: string,
  forwardedFor: string | readonly string[] | undefined,
  trustedProxies: CidrList | undefined,
): string {
  const remote = normaliseIp(remoteAddress);
  if (remote === null) return remoteAddress;
  if (trustedProxies === undefined || !trustedProxies.contains(remote)) return remote;
  const header = typeof forwardedFor === "string" ? forwardedFor : (forwardedFor ?? []).join(",");
  // Empty list elements ("a,,b", trailing commas) are allowed by HTTP list syntax and skipped.
  const hops = header
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop !== "");
  let lastTrusted = remote;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normaliseIp(hops[i] ?? "");
    if (hop === null) return lastTrusted;
    if (!trustedProxies.contains(hop)) return hop;
    lastTrusted = hop;
  }
  return lastTrusted;
}

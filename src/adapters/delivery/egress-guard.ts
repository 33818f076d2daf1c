/**
 * The SSRF guard (DESIGN §4, docs/ssrf.md): implements the EgressGuard port and supplies the
 * `lookup` hook for the HTTP agents, so that every connection goes to an address that was checked
 * in the same resolution that produced it (no DNS rebinding between check and connect).
 *
 * Node's `net.connect` skips the lookup hook for IP literals, so `checkUrl` checks literals itself;
 * the sender calls it before every send.
 */

import type { LookupAddress, LookupOneOptions } from "node:dns";
import { promises as dns } from "node:dns";
import type { LookupFunction } from "node:net";
import type { EgressGuard, SendError } from "../../app/delivery/sender-port.ts";
import type { AllowMatcher, BlockVerdict, EgressAllowlist } from "../../domain/egress.ts";
import { checkAddress, compileAllowlist, hostToIp, isBlockedHostName } from "../../domain/egress.ts";

/** Resolves every address of a host name (the default is dns.lookup with `all: true`). */
export type LookupAll = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface EgressGuardOptions {
  /** Explicit exceptions (tests, on-prem receivers); nothing by default. */
  readonly allow?: EgressAllowlist;
  /** DNS resolution; injectable for tests. */
  readonly lookup?: LookupAll;
}

/** A URL that passed the checks that need no DNS. */
export interface CheckedUrl {
  readonly ok: true;
  readonly url: URL;
  /** The IP literal the URL names (no brackets), or null for a host name. */
  readonly ip: string | null;
}

export interface UrlRefusal {
  readonly ok: false;
  readonly error: Extract<SendError, "invalid_url" | "blocked_address">;
  readonly reason: string;
}

export interface GuardedEgress extends EgressGuard {
  /** Scheme, syntax, literal addresses and blocked names: everything but DNS. Synchronous. */
  checkUrl(url: string): CheckedUrl | UrlRefusal;
  /**
   * The `lookup` option for net/http: resolves the name, fails with code `ERR_EGRESS_BLOCKED` if
   * ANY address is blocked, otherwise answers with the checked addresses.
   */
  readonly lookup: LookupFunction;
}

/** The error code the lookup hook fails with when an address is refused. */
export const EGRESS_BLOCKED = "ERR_EGRESS_BLOCKED";

const VERDICT_CACHE_SIZE = 4096;

const defaultLookup: LookupAll = (hostname) => dns.lookup(hostname, { all: true, order: "verbatim" });

function blockedError(hostname: string, reason: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${hostname}: ${reason}`);
  error.code = EGRESS_BLOCKED;
  return error;
}

/** The first blocked address among `addresses`, as a reason, or null when all may be called. */
function refusedAmong(
  hostname: string,
  addresses: readonly LookupAddress[],
  allow: AllowMatcher,
): string | null {
  if (addresses.length === 0) return `${hostname} resolved to no address`;
  for (const { address } of addresses) {
    const verdict = checkAddress(address, allow);
    if (verdict.blocked) return `${hostname} resolves to ${address} (${verdict.range})`;
  }
  return null;
}

export function createEgressGuard(options: EgressGuardOptions = {}): GuardedEgress {
  // Throws on a malformed entry: config validated it with parseEgressAllowlist already.
  const allow = compileAllowlist(options.allow);
  const resolveAll = options.lookup ?? defaultLookup;
  const verdicts = new Map<string, BlockVerdict>();

  function checkUrl(text: string): CheckedUrl | UrlRefusal {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { ok: false, error: "invalid_url", reason: "not a valid absolute URL" };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { ok: false, error: "invalid_url", reason: `scheme ${url.protocol} is not http or https` };
    if (url.username !== "" || url.password !== "")
      return { ok: false, error: "invalid_url", reason: "credentials in the URL are not supported" };
    const host = url.hostname;
    const ip = hostToIp(host);
    if (ip !== null) {
      // Literal endpoints repeat on every send: remember their verdicts (bounded).
      let verdict = verdicts.get(ip);
      if (verdict === undefined) {
        verdict = checkAddress(ip, allow);
        if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.clear();
        verdicts.set(ip, verdict);
      }
      if (verdict.blocked)
        return { ok: false, error: "blocked_address", reason: `${ip} is ${verdict.range}` };
      return { ok: true, url, ip };
    }
    if (!allow.allowsHost(host)) {
      const verdict = isBlockedHostName(host);
      if (verdict.blocked)
        return { ok: false, error: "blocked_address", reason: `${host} is ${verdict.range}` };
    }
    return { ok: true, url, ip: null };
  }

  async function check(text: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    const checked = checkUrl(text);
    if (!checked.ok) return { ok: false, reason: checked.reason };
    const host = checked.url.hostname;
    if (checked.ip !== null || allow.allowsHost(host)) return { ok: true };
    let addresses: readonly LookupAddress[];
    try {
      addresses = await resolveAll(host);
    } catch (error) {
      return { ok: false, reason: `DNS lookup of ${host} failed (${(error as NodeJS.ErrnoException).code})` };
    }
    const refused = refusedAmong(host, addresses, allow);
    return refused === null ? { ok: true } : { ok: false, reason: refused };
  }

  const lookup = ((hostname: string, lookupOptions: LookupOneOptions & { all?: boolean }, callback) => {
    const f = lookupOptions.family;
    const wanted = f === 4 || f === "IPv4" ? 4 : f === 6 || f === "IPv6" ? 6 : 0;
    // A literal reaching here (some callers pass one) is checked like any resolved address.
    const literal = hostToIp(hostname);
    const resolved: Promise<readonly LookupAddress[]> =
      literal !== null
        ? Promise.resolve([{ address: literal, family: literal.includes(":") ? 6 : 4 }])
        : resolveAll(hostname);
    resolved.then(
      (all) => {
        const refused =
          literal === null && allow.allowsHost(hostname) ? null : refusedAmong(hostname, all, allow);
        if (refused !== null) return callback(blockedError(hostname, refused), "", 0);
        const usable = wanted === 0 ? all : all.filter((a) => a.family === wanted);
        const first = usable[0];
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`${hostname}: no IPv${wanted} address`);
          error.code = "ENOTFOUND";
          error.syscall = "getaddrinfo";
          return callback(error, "", 0);
        }
        if (lookupOptions.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, [...usable]);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  }) as LookupFunction;

  return { check, checkUrl, lookup };
}

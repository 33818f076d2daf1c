/**
 * The request paths the load generators send: signed, attributed GET postbacks with a fresh txid
 * each (signed in advance with ts = now, valid for the 300 s tolerance), and click URLs.
 */
import { writeFileSync } from "node:fs";
import { decodeSecret, signQuery } from "../src/domain/signing.ts";

export interface PostbackTarget {
  readonly operatorKey: string;
  /** The operator's HMAC secret, 'whsec_…'. */
  readonly secret: string;
  /** A valid click_id of the operator's link: every postback is attributed. */
  readonly clickId: string;
}

/**
 * `count` signed postback paths, an FTD each with its own txid and player (so each one is a new
 * conversion and a new player binding), all carrying the same valid click_id.
 */
export function postbackPaths(target: PostbackTarget, count: number, tag: string): string[] {
  const secret = decodeSecret(target.secret);
  if (!secret.ok) throw new Error(`bad operator secret: ${secret.error.message}`);
  const ts = String(Math.floor(Date.now() / 1000));
  const prefix = `/v1/postback/${encodeURIComponent(target.operatorKey)}?`;
  const paths: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const pairs: Array<[string, string]> = [
      ["event", "ftd"],
      ["txid", `${tag}-${i}`],
      ["click_id", target.clickId],
      ["player_id", `p-${tag}-${i}`],
      ["amount", "25.00"],
      ["currency", "EUR"],
      ["ts", ts],
    ];
    pairs.push(["sig", signQuery(secret.value, pairs)]);
    paths[i] = prefix + new URLSearchParams(pairs).toString();
  }
  return paths;
}

/** Click paths with a varying sub1 (a few distinct values are enough: nothing is keyed on it). */
export function clickPaths(linkCode: string, count = 1000): string[] {
  return Array.from({ length: count }, (_, i) => `/c/${encodeURIComponent(linkCode)}?sub1=bench-${i}`);
}

/** Writes one path per line, as the wrk script reads them. */
export function writePaths(file: string, paths: readonly string[]): void {
  writeFileSync(file, `${paths.join("\n")}\n`);
}

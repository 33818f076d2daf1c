/**
 * The signing test vectors of the inbound postback contract (DESIGN.md §2), computed independently
 * of this code. `test/fixtures/signing-vectors.json` is a byte-for-byte copy of the design's
 * `vectors/signing.json`: replace it whole when the design's copy changes, never edit it.
 */
import { readFileSync } from "node:fs";

export interface GetVector {
  readonly name: string;
  readonly params: Record<string, string>;
  /** What is signed: every parameter but `sig`, sorted and RFC 3986 encoded. */
  readonly canonical: string;
  readonly sig: string;
  readonly query_as_sent: string;
}

export type PostVector = Record<"webhook-id" | "webhook-timestamp" | "body" | "webhook-signature", string>;

export interface SigningVectors {
  readonly secret: string;
  readonly secret_bytes_hex: string;
  readonly get: { readonly rule: string; readonly cases: readonly GetVector[] };
  readonly post: { readonly rule: string; readonly cases: readonly PostVector[] };
}

export const SIGNING_VECTORS_FILE = new URL("../fixtures/signing-vectors.json", import.meta.url);

export const signingVectors = JSON.parse(readFileSync(SIGNING_VECTORS_FILE, "utf8")) as SigningVectors;

/** The entities of the admin model (DESIGN "Domain words"). Timestamps are epoch milliseconds. */
import type { Vertical } from "./event-types.ts";
import type { ParamMapping } from "./postback-params.ts";

export const STATUSES = ["active", "disabled"] as const;
export type Status = (typeof STATUSES)[number];
export const LINK_STATUSES = ["active", "paused"] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];
export const ROLES = ["admin", "operator", "affiliate"] as const;
export type Role = (typeof ROLES)[number];

/** How an operator's postbacks are authenticated; every configured check must pass. */
export interface OperatorAuth {
  /** Up to two live HMAC secrets ('whsec_…'); when present, every postback must be signed. */
  readonly hmacSecrets: readonly string[];
  /** CIDRs the operator's backend calls from; empty = any address. */
  readonly ipAllowlist: readonly string[];
  /** Proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  /** sha256 hex of the static token; only allowed together with an IP allowlist. */
  readonly staticTokenHash: string | null;
}

export interface Operator {
  readonly id: number;
  readonly name: string;
  /** Public key in the postback URL: /v1/postback/{key}. */
  readonly key: string;
  readonly status: Status;
  readonly auth: OperatorAuth;
  readonly mapping: ParamMapping;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Program {
  readonly id: number;
  readonly operatorId: number;
  readonly name: string;
  readonly vertical: Vertical;
  /** ISO 4217 code commissions are paid in. */
  readonly currency: string;
  /** Where a click lands; macros {click_id} {sub1}…{sub5} {affiliate_id} {link_id} {program_id}. */
  readonly landingUrlTemplate: string;
  /** Where a click on a paused link goes instead of a 404 page (optional). */
  readonly fallbackUrl: string | null;
  readonly allowedEvents: readonly string[];
  /** Clicks older than this earn nothing (used by commissions). */
  readonly lookbackDays: number;
  readonly status: Status;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Affiliate {
  readonly id: number;
  readonly name: string;
  readonly email: string | null;
  readonly status: Status;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Link {
  readonly id: number;
  /** Public code in the tracking URL: /c/{code}. */
  readonly code: string;
  readonly affiliateId: number;
  readonly programId: number;
  readonly status: LinkStatus;
  /** Replaces the program's landing template for this link (optional). */
  readonly landingUrlTemplate: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ApiKey {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  readonly operatorId: number | null;
  readonly affiliateId: number | null;
  /** First characters of the key, shown to recognise it. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** Who is calling the admin API. */
export interface Principal {
  readonly keyId: number;
  readonly role: Role;
  readonly operatorId: number | null;
  readonly affiliateId: number | null;
}

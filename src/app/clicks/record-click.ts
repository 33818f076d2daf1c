/**
 * Use case: record a click on a tracking link and send the visitor on (DESIGN §1). The click row is
 * group-committed: the 302 is sent only once the click is durable.
 */
import { issueClickId } from "../../domain/click-id.ts";
import { type CidrList, clientIp, type IpPrivacyMode, privacySafeIp } from "../../domain/ip.ts";
import { renderTemplate } from "../../domain/macros.ts";
import { isUnstorable, storableText } from "../../domain/storable-text.ts";
import type { Catalog } from "../catalog.ts";
import { createGroupCommitter, type GroupCommitOptions, OverloadedError } from "../group-commit.ts";
import type { Clock, Ids, Store } from "../ports.ts";
import type { ClickRow } from "../records.ts";
import { STORAGE_RETRY_AFTER_SECONDS } from "../storage-errors.ts";

/** Macros a landing URL template may use. */
export const LANDING_MACROS = [
  "click_id",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
  "affiliate_id",
  "link_id",
  "program_id",
] as const;

export interface ClickRequest {
  readonly code: string;
  readonly query: URLSearchParams;
  readonly remoteAddress: string;
  readonly forwardedFor: string | string[] | undefined;
  readonly userAgent: string | undefined;
  readonly referer: string | undefined;
}

export type ClickAnswer =
  | { readonly kind: "redirect"; readonly location: string; readonly clickId: string | null }
  | { readonly kind: "not_found" }
  | { readonly kind: "unavailable"; readonly retryAfter: number };

interface ClickDeps {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly clickSecret: Buffer;
  readonly ipPrivacy: IpPrivacyMode;
  readonly ipSalt: Buffer;
  readonly trustedProxies: CidrList | undefined;
  readonly batching: GroupCommitOptions;
  readonly onStorageError?: (error: unknown) => void;
  /** Told of every answer's kind (metrics). */
  readonly onAnswer?: (kind: ClickAnswer["kind"]) => void;
}

const SUB_LIMIT = 256;
const HEADER_LIMIT = 512;
/**
 * A visitor's text as stored: at most `limit` characters, in a form every database takes (a NUL
 * in a sub-id, which anyone with the link can send, would fail the whole click batch on
 * PostgreSQL). The landing URL gets the same value.
 */
const clip = (value: string | undefined | null, limit: number): string | null =>
  value ? storableText(value.slice(0, limit)) : null;

export function createClickRecorder(deps: ClickDeps) {
  const committer = createGroupCommitter<ClickRow, void>(async (rows) => {
    await deps.store.insertClicks(rows);
    return rows.map(() => undefined);
  }, deps.batching);

  async function record(request: ClickRequest): Promise<ClickAnswer> {
    const given = await answer(request);
    deps.onAnswer?.(given.kind);
    return given;
  }

  async function answer(request: ClickRequest): Promise<ClickAnswer> {
    // No link has such a code (none could be stored); asking PostgreSQL would fail as unavailable.
    if (isUnstorable(request.code)) return { kind: "not_found" };
    let link: Awaited<ReturnType<Catalog["linkByCode"]>>;
    let program: Awaited<ReturnType<Catalog["program"]>>;
    try {
      link = await deps.catalog.linkByCode(request.code);
      program = link ? await deps.catalog.program(link.programId) : undefined;
    } catch (error) {
      deps.onStorageError?.(error);
      return { kind: "unavailable", retryAfter: STORAGE_RETRY_AFTER_SECONDS };
    }
    if (!link || !program) return { kind: "not_found" };
    if (link.status !== "active" || program.status !== "active") {
      return program.fallbackUrl
        ? { kind: "redirect", location: program.fallbackUrl, clickId: null }
        : { kind: "not_found" };
    }
    const now = deps.clock.now();
    const clickId = issueClickId(
      deps.clickSecret,
      { linkId: link.id, issuedAtSeconds: Math.floor(now / 1000) },
      deps.ids.random(6),
    );
    const subs = [1, 2, 3, 4, 5].map((n) =>
      clip(request.query.get(`sub${n}`), SUB_LIMIT),
    ) as unknown as ClickRow["subs"];
    const ip = clientIp(request.remoteAddress, request.forwardedFor, deps.trustedProxies);
    try {
      await committer.submit({
        clickId,
        linkId: link.id,
        affiliateId: link.affiliateId,
        programId: program.id,
        createdAt: now,
        subs,
        ip: privacySafeIp(ip, deps.ipPrivacy, deps.ipSalt),
        userAgent: clip(request.userAgent, HEADER_LIMIT),
        referer: clip(request.referer, HEADER_LIMIT),
      });
    } catch (error) {
      if (!(error instanceof OverloadedError)) deps.onStorageError?.(error);
      return {
        kind: "unavailable",
        retryAfter: error instanceof OverloadedError ? 1 : STORAGE_RETRY_AFTER_SECONDS,
      };
    }
    const location = renderTemplate(link.landingUrlTemplate ?? program.landingUrlTemplate, {
      click_id: clickId,
      sub1: subs[0] ?? "",
      sub2: subs[1] ?? "",
      sub3: subs[2] ?? "",
      sub4: subs[3] ?? "",
      sub5: subs[4] ?? "",
      affiliate_id: String(link.affiliateId),
      link_id: String(link.id),
      program_id: String(program.id),
    });
    return { kind: "redirect", location, clickId };
  }

  return { record, drain: () => committer.drain() };
}

export type ClickRecorder = ReturnType<typeof createClickRecorder>;

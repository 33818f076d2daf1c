/**
 * Console sign-in (issue: console): an API key is exchanged for a session whose random token the
 * browser keeps in an HttpOnly cookie. The key's role decides what the console shows. A session
 * ends after `IDLE_MS` without activity, at `MAX_AGE_MS` whatever the activity, when it is signed
 * out, and as soon as its API key is revoked (checked on every request).
 *
 * The CSRF token of a session is derived from its token (HMAC), so it needs no storage and cannot
 * be computed by a page that cannot read the HttpOnly cookie.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { fail, ok, type Result } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import type { Clock, Ids, Store } from "../ports.ts";
import { authenticateApiKey } from "./api-keys.ts";
import type { ConsoleSessionRow } from "./console-session-port.ts";

/** A session unused this long is over (12 hours). */
export const IDLE_MS = 12 * 3_600_000;
/** No session outlives this (7 days): sign in again. */
export const MAX_AGE_MS = 7 * 86_400_000;
/** Activity is recorded at most this often, so browsing does not write on every page. */
const TOUCH_EVERY_MS = 60_000;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

interface ConsoleSession {
  readonly principal: Principal;
  /** The API key's name, to show who is signed in. */
  readonly keyName: string;
  readonly session: ConsoleSessionRow;
}

interface SignInInput {
  readonly apiKey: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** A new session for a valid, unrevoked API key: its token (for the cookie), never stored. */
export async function signIn(
  store: Store,
  clock: Clock,
  ids: Ids,
  input: SignInInput,
): Promise<Result<{ token: string; session: ConsoleSessionRow }>> {
  const principal = await authenticateApiKey(store, input.apiKey.trim());
  if (!principal) return fail("unauthorized", "This API key is unknown or revoked.", "api_key");
  const token = ids.random(32).toString("base64url");
  const now = clock.now();
  const session: ConsoleSessionRow = {
    idHash: hashToken(token),
    apiKeyId: principal.keyId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + MAX_AGE_MS,
    revokedAt: null,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
  };
  await store.consoleSessions.create(session);
  return ok({ token, session });
}

/** The live session of a cookie's token, or undefined (unknown, over, signed out, key revoked). */
export async function currentSession(
  store: Store,
  clock: Clock,
  token: string | undefined,
): Promise<ConsoleSession | undefined> {
  if (!token || !TOKEN.test(token)) return undefined;
  const found = await store.consoleSessions.find(hashToken(token));
  if (!found) return undefined;
  const { session, key } = found;
  const now = clock.now();
  if (session.revokedAt !== null || key.revokedAt !== null) return undefined;
  if (now >= session.expiresAt || now - session.lastSeenAt >= IDLE_MS) return undefined;
  if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await store.consoleSessions.touch(session.idHash, now);
  return {
    principal: { keyId: key.id, role: key.role, operatorId: key.operatorId, affiliateId: key.affiliateId },
    keyName: key.name,
    session,
  };
}

/** Ends the session of a cookie's token (nothing when there is none). */
export async function signOut(store: Store, clock: Clock, token: string | undefined): Promise<void> {
  if (token && TOKEN.test(token)) await store.consoleSessions.revoke(hashToken(token), clock.now());
}

/** The CSRF token of a session: HMAC-SHA256 of a fixed label keyed with the session token. */
export function csrfTokenOf(token: string): string {
  return createHmac("sha256", token).update("postwire console csrf v1").digest("base64url");
}

/** Whether `given` is the CSRF token of the session `token` (constant time). */
export function csrfMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(csrfTokenOf(token));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

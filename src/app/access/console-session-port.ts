/** Storage of console sessions: only the token's SHA-256 is stored, never the token. */
import type { ApiKey } from "../../domain/model.ts";

export interface ConsoleSessionRow {
  /** SHA-256 (hex) of the session token the browser holds. */
  readonly idHash: string;
  readonly apiKeyId: number;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** The absolute end of the session, whatever its activity. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface ConsoleSessionStore {
  create(row: ConsoleSessionRow): Promise<void>;
  /** The session and its API key (revoked or not: the caller decides), or undefined. */
  find(idHash: string): Promise<{ session: ConsoleSessionRow; key: ApiKey } | undefined>;
  /** Records activity (the idle timeout counts from it). */
  touch(idHash: string, now: number): Promise<void>;
  /** Signs the session out; true when it was live. */
  revoke(idHash: string, now: number): Promise<boolean>;
  /** Deletes sessions that ended before `before` (expired or signed out); returns how many. */
  prune(before: number): Promise<number>;
}

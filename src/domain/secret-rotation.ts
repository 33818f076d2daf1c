/**
 * Rotating an outbound endpoint's signing secret (docs/outbound.md#rotating-the-signing-secret).
 * A rotation issues a new secret and, for a grace period, keeps the one it replaced: every POST
 * attempt in that period is signed with both ("v1,<new> v1,<old>", which Standard Webhooks
 * verifiers accept when either matches: https://www.standardwebhooks.com/), so a receiver can
 * switch to the new secret at its own pace. Pure: the time and the new secret are passed in.
 */
import { fail, ok, type Result } from "./errors.ts";

/** The grace period when none is given: long enough for a receiver's next working day. */
export const DEFAULT_GRACE_HOURS = 24;
/** The longest grace period: a week. */
export const MAX_GRACE_HOURS = 168;

const HOUR_MS = 3_600_000;

/** An endpoint's signing secrets ('whsec_…'). Timestamps are epoch milliseconds. */
export interface SigningSecrets {
  /** Signs every POST attempt. */
  readonly secret: string;
  /** The secret the last rotation replaced; signs too until `previousSecretExpiresAt`. */
  readonly previousSecret: string | null;
  /** When the previous secret stops signing (null when there is none). */
  readonly previousSecretExpiresAt: number | null;
}

/**
 * The secrets after a rotation to `next` at `now`: the current secret becomes the previous one
 * for `graceHours` (an integer, 0 to MAX_GRACE_HOURS); 0 drops it at once. A previous secret still
 * in its grace period is dropped either way: at most two secrets are ever live.
 */
export function rotateSecrets(
  current: SigningSecrets,
  next: string,
  graceHours: number,
  now: number,
): Result<SigningSecrets> {
  if (!Number.isInteger(graceHours) || graceHours < 0 || graceHours > MAX_GRACE_HOURS) {
    return fail(
      "invalid_field",
      `grace_hours must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}.`,
      "grace_hours",
    );
  }
  if (graceHours === 0) return ok({ secret: next, previousSecret: null, previousSecretExpiresAt: null });
  return ok({
    secret: next,
    previousSecret: current.secret,
    previousSecretExpiresAt: now + graceHours * HOUR_MS,
  });
}

/**
 * The secrets as they stand at `now`: a previous secret whose grace period is over (it stops
 * exactly at its expiry) is dropped with its expiry, as the retention job erases it from storage.
 * Whatever else `secrets` holds is kept; unchanged secrets are returned as they are.
 */
export function liveSecrets<T extends SigningSecrets>(secrets: T, now: number): T {
  const { previousSecret, previousSecretExpiresAt } = secrets;
  const live = previousSecret !== null && previousSecretExpiresAt !== null && now < previousSecretExpiresAt;
  if (live || (previousSecret === null && previousSecretExpiresAt === null)) return secrets;
  return { ...secrets, previousSecret: null, previousSecretExpiresAt: null };
}

/**
 * The secrets that sign an attempt made at `now`: the current one first, then the previous one
 * while its grace period lasts (it stops exactly at `previousSecretExpiresAt`).
 */
export function signingSecretsAt(secrets: SigningSecrets, now: number): string[] {
  const { secret, previousSecret } = liveSecrets(secrets, now);
  return previousSecret === null ? [secret] : [secret, previousSecret];
}

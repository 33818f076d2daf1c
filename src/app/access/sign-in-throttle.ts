/**
 * Failed console sign-ins are limited per client address: after `limit` failures within
 * `windowMs`, that address is refused (429) until the window has passed since its oldest
 * failure. A success clears its count. Kept in memory (a process restart forgets it, and
 * each process counts its own: good enough to make guessing keys of 32+ random characters
 * slower still; keys are not guessable anyway). Bounded: past `maxAddresses` the oldest go.
 */
import type { Clock } from "../ports.ts";

interface SignInThrottleOptions {
  readonly clock: Clock;
  /** Failures allowed per address within the window (default 10). */
  readonly limit?: number;
  /** Milliseconds (default 15 minutes). */
  readonly windowMs?: number;
  /** Addresses remembered at most (default 10,000). */
  readonly maxAddresses?: number;
}

export interface SignInThrottle {
  /** Seconds to wait before this address may try again; 0 when it may now. */
  retryAfterSeconds(address: string): number;
  failed(address: string): void;
  succeeded(address: string): void;
}

export function createSignInThrottle(options: SignInThrottleOptions): SignInThrottle {
  const limit = options.limit ?? 10;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  /** Failure times per address, oldest first; Map order is insertion order, oldest address first. */
  const failures = new Map<string, number[]>();

  const recent = (address: string, now: number): number[] => {
    const times = (failures.get(address) ?? []).filter((t) => now - t < windowMs);
    if (times.length) failures.set(address, times);
    else failures.delete(address);
    return times;
  };

  return {
    retryAfterSeconds(address) {
      const now = options.clock.now();
      const times = recent(address, now);
      if (times.length < limit) return 0;
      return Math.max(1, Math.ceil((times[0]! + windowMs - now) / 1000));
    },
    failed(address) {
      const now = options.clock.now();
      const times = recent(address, now);
      failures.delete(address);
      failures.set(address, [...times, now]);
      while (failures.size > maxAddresses) failures.delete(failures.keys().next().value!);
    },
    succeeded(address) {
      failures.delete(address);
    },
  };
}

/**
 * Waits for a condition that an event outside the test's control will make true (a socket closed
 * by the kernel, a child process started): checked every few milliseconds, failing after a bound.
 * Nothing is asserted about how long it took.
 */
import { setTimeout as delay } from "node:timers/promises";

export async function eventually(
  condition: () => boolean | Promise<boolean>,
  options: { readonly timeoutMs?: number; readonly everyMs?: number; readonly what?: string } = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${options.what ?? "a condition"}`);
    await delay(options.everyMs ?? 10);
  }
}

/**
 * A periodic step the dispatcher runs before claiming (the approval forwarder, which writes outbox
 * rows for approvals made by the hold job): at most every `intervalMs` from the poll loop, always
 * on an explicit `tick()`. Its errors go to `onError`; they never stop the loop.
 */
export type ForwardStep = (always: boolean) => Promise<void>;

export function createForwardStep(
  forward: (() => Promise<unknown>) | undefined,
  intervalMs: number,
  onError: (error: unknown) => void,
): ForwardStep {
  let lastAt = Number.NEGATIVE_INFINITY;
  return async (always) => {
    if (!forward) return;
    const at = performance.now();
    if (!always && at - lastAt < intervalMs) return;
    lastAt = at;
    try {
      await forward();
    } catch (error) {
      onError(error);
    }
  };
}

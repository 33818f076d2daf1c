/**
 * Waiting without timing: for something that happens on its own (a row written after the answer,
 * a worker's report, a delivery sent by the dispatcher), for a step the test releases itself, or
 * for whether a promise has settled yet. Nothing is asserted about how long anything takes: on a
 * busy machine it may take long, and a deadline only ends a run in which it never comes.
 */

/** How long to wait before calling a run broken. */
export const PATIENCE_MS = 30_000;

/**
 * Polls `check` until it returns something other than `false`, `undefined` or `null`, and returns
 * that; throws naming `what` once `ms` have passed without it.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  what = "the condition",
  ms = PATIENCE_MS,
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined && value !== null)
      return value as Exclude<T, false | undefined | null>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether `promise` has settled, looked at once the callbacks already due have run. */
export async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  const mark = () => {
    done = true;
  };
  promise.then(mark, mark);
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

/** A promise the test resolves itself (`open()`), to hold a step until it says so. */
export function gate(): { readonly opened: Promise<void>; readonly open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

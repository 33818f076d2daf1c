/**
 * A dry run: `compute` runs inside a transaction that is then rolled back, and what it computed is
 * returned (validate-only postbacks, recalculation previews). Errors of `compute` or of the
 * transaction itself propagate as they are.
 */
class RolledBackOnPurpose extends Error {
  constructor() {
    super("rolled back on purpose (a dry run)");
  }
}

export async function dryRun<A extends unknown[], T>(
  transaction: (work: (...args: A) => Promise<never>) => Promise<unknown>,
  compute: (...args: A) => Promise<T>,
): Promise<T> {
  let result: { value: T } | undefined;
  try {
    await transaction(async (...args) => {
      result = { value: await compute(...args) };
      throw new RolledBackOnPurpose();
    });
  } catch (error) {
    if (!(error instanceof RolledBackOnPurpose) || result === undefined) throw error;
    return result.value;
  }
  throw new Error("dryRun: the transaction committed instead of rolling back");
}

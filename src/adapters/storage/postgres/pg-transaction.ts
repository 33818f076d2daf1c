/** One transaction on one PostgreSQL connection, releasing the connection as it was left. */
import type pg from "pg";
import { commitFailure, connectionBroken, translated } from "./pg-errors.ts";

/**
 * BEGIN, `work`, COMMIT on one connection, then `release` with the error that broke the connection
 * (if any), so a pooled connection that failed is discarded rather than reused. ROLLBACK is sent
 * only on a connection still in a known state: behind a stalled statement it would only wait.
 */
export async function runTransaction<C extends pg.PoolClient | pg.Client, T>(
  client: C,
  work: (client: C) => Promise<T>,
  release: (broken: Error | undefined) => void,
  durable = true,
): Promise<T> {
  let broken: Error | undefined;
  // Not durable: COMMIT returns before its WAL is flushed (flushed within 3 × wal_writer_delay).
  const begin = durable ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit TO OFF";
  try {
    await client.query(begin).catch((error: unknown) => {
      throw translated(error);
    });
    const result = await work(client);
    try {
      await client.query("COMMIT");
    } catch (error) {
      broken = error as Error;
      throw commitFailure(error);
    }
    return result;
  } catch (error) {
    // Statements' failures are translated where they ran; `work`'s own errors (a lost race) pass.
    if (broken === undefined && connectionBroken(error)) broken = error as Error;
    if (broken === undefined) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
    }
    throw error;
  } finally {
    release(broken);
  }
}

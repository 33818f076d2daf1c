/** Batches of look-up keys for the ingest's statements (ingest-tx.ts and the engines' key-lookups.ts). */

/** Keys per statement. */
export const KEY_CHUNK = 512;
/** Key lists are padded to a multiple of this: one statement text per bucket, not per batch size. */
const KEY_BUCKET = 8;

/** A composite key: (operator id, txid) or (operator id, player id). */
export type Pair = readonly [number, string];

/**
 * `items` with its last item repeated up to the next multiple of KEY_BUCKET. The look-ups' SQL
 * depends on the number of keys; unpadded, every batch size prepares (and caches) a statement of
 * its own, and a long-running service with BATCH_MAX 512 would go through about a thousand of them
 * for the two tables. Repeated keys match the same rows once (OR and IN do not duplicate rows).
 */
export function padded<T>(items: readonly T[]): T[] {
  const out = [...items];
  const last = items[items.length - 1];
  if (last === undefined) return out;
  while (out.length % KEY_BUCKET !== 0) out.push(last);
  return out;
}

export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += KEY_CHUNK)
    out.push(items.slice(start, start + KEY_CHUNK));
  return out;
}

/** The pairs without repeats, in first-seen order. */
export const distinct = (keys: readonly Pair[]): Pair[] => [
  ...new Map(keys.map((k) => [`${k[0]}\u0000${k[1]}`, k])).values(),
];

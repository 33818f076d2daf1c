/**
 * PostgreSQL's earnReads (sql-dialect.ts): what earning a batch reads, in one round trip instead of
 * four or five. Each table's rows come back as one jsonb value tagged by kind (as findKnown does),
 * read by the same mappers as plain SELECTs. Every branch is an index look-up joined against
 * unnest()ed key arrays, so the statement text is fixed (prepared once per connection).
 *
 * The month locks, when asked for, are the last branch: an Append runs its branches in order, so
 * the reads do not hold them. They are taken in the order given (the caller sorts them as lockPairs
 * does), and month usage is then left to a later statement: this one's snapshot was taken before it
 * waited for a lock, so it would not see what the lock's previous holder committed.
 */
import type { EarnReadArrays } from "../sql-dialect.ts";
import type { SqlExecutor, SqlRow, SqlValue } from "../sql-driver.ts";

export const EARN_READS_SQL = `WITH h AS (
  SELECT DISTINCT k.o, k.pid FROM unnest($4::int8[], $5::int8[], $6::text[], $7::text[]) AS k(p, o, pkey, pid)
  WHERE NOT EXISTS (SELECT 1 FROM cpa_qualifications q
    WHERE q.program_id = k.p AND q.operator_id = k.o AND q.player_key = k.pkey)
)
SELECT 'q' AS kind, jsonb_build_object('program_id', t.program_id, 'operator_id', t.operator_id,
    'player_key', t.player_key) AS row
  FROM cpa_qualifications t
  JOIN unnest($1::int8[], $2::int8[], $3::text[]) AS k(p, o, pkey)
    ON t.program_id = k.p AND t.operator_id = k.o AND t.player_key = k.pkey
UNION ALL
SELECT 'e', jsonb_build_object('id', c.id, 'operator_id', c.operator_id, 'player_id', c.player_id,
    'event', c.event, 'amount_minor', c.amount_minor, 'currency', c.currency, 'lots_milli', c.lots_milli,
    'occurred_at', c.occurred_at)
  FROM conversions c JOIN h ON c.operator_id = h.o AND c.player_id = h.pid
  WHERE c.test = 0 AND c.reverses_id IS NULL
UNION ALL
SELECT 'b', jsonb_build_object('operator_id', p.operator_id, 'player_id', p.player_id, 'bound_at', p.bound_at)
  FROM players p JOIN h ON p.operator_id = h.o AND p.player_id = h.pid
UNION ALL
SELECT 'u', to_jsonb(u) FROM month_usage u
  JOIN unnest($8::int8[], $9::int8[], $10::text[]) AS k(a, p, period)
    ON u.affiliate_id = k.a AND u.program_id = k.p AND u.period = k.period
UNION ALL
SELECT 'l', to_jsonb(pg_advisory_xact_lock(s.a::int, s.b::int)::text)
  FROM (SELECT a, b FROM unnest($11::int8[], $12::int8[]) WITH ORDINALITY AS k(a, b, n) ORDER BY n) s`;

/** The rows of each kind: q (qualified keys), e (history events), b (bindings), u (month usage). */
export async function earnReads(tx: SqlExecutor, arrays: EarnReadArrays): Promise<Map<string, SqlRow[]>> {
  const params = [...arrays.qualified, ...arrays.history, ...arrays.months, ...arrays.locks];
  const found = new Map<string, SqlRow[]>(["q", "e", "b", "u"].map((kind) => [kind, []]));
  for (const { kind, row } of await tx.all(EARN_READS_SQL, params as unknown as SqlValue[]))
    found.get(String(kind))?.push(row as unknown as SqlRow);
  return found;
}

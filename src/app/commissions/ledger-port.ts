/**
 * What the commission effect reads and writes inside an ingest transaction (issue: commissions).
 * Implemented by src/adapters/storage/ledger-tx.ts over the same SQL transaction.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the commissions work.
export interface LedgerTx {}

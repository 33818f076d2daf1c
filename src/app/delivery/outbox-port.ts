/**
 * What the outbound-postback effect writes inside an ingest transaction (issue: outbound postbacks):
 * outbox rows committed together with the conversion. Implemented by
 * src/adapters/storage/outbox-tx.ts over the same SQL transaction.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the delivery work.
export interface OutboxTx {}

-- Outbound postbacks, part three: manual adjustments are forwarded (docs/outbound.md). One message
-- per (endpoint, adjustment): the outbox key gains `adjustment_id` ('' for every other message, so
-- their key is unchanged), and a conversion adjusted twice gets two `adjusted` messages.
-- The constant default adds the column without rewriting the table; the new key builds one index.
ALTER TABLE deliveries ADD COLUMN adjustment_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_endpoint_id_conversion_id_status_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_message_key
  UNIQUE (endpoint_id, conversion_id, status, adjustment_id);

-- A retried adjustment request (same idempotency key for the same conversion) is answered with the
-- adjustment it made, and writes nothing. NULL (no key) never collides.
ALTER TABLE commission_adjustments ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX commission_adjustments_key ON commission_adjustments (conversion_id, idempotency_key);

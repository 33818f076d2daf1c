-- Go-live tooling (issue 16). The step trace of a traced postback (a test event, a validate-only
-- run): one JSON document per request-log row, written with it (validate-only: after its rollback).
-- Pruned with the request log, by the same time.
CREATE TABLE postback_traces (
  request_log_id TEXT PRIMARY KEY,
  operator_id INTEGER,
  received_at INTEGER NOT NULL,
  mode TEXT NOT NULL,
  trace TEXT NOT NULL
);
CREATE INDEX postback_traces_received ON postback_traces (received_at);
-- The go-live checklist reads an operator's recent traces.
CREATE INDEX postback_traces_operator ON postback_traces (operator_id, received_at);

-- The go-live checklist of a program counts the traces received since its last reset.
CREATE TABLE checklist_resets (
  program_id INTEGER PRIMARY KEY,
  reset_at INTEGER NOT NULL
);

-- Test events listed apart (GET /v1/conversions?test=true): they are few, so a partial index per
-- listing reads only them (as for unattributed ones, 009; conversions_test itself is 011's);
-- live ones use the plain indexes.
CREATE INDEX conversions_operator_test ON conversions (operator_id, received_at, id) WHERE test = 1;
CREATE INDEX conversions_program_test ON conversions (program_id, received_at, id) WHERE test = 1;

-- What a refused signature was checked over (invalid_signature, signature_expired), so the network
-- and the operator can reproduce the check with the secret (postwire postback verify --log-entry):
-- GET: the query as received, sig included (a signature is not a secret; a token is redacted);
-- POST: webhook-id, webhook-timestamp, webhook-signature and the body bytes. Never the secret.
-- Pruned with the request log, by the same time.
CREATE TABLE request_log_signatures (
  request_log_id TEXT PRIMARY KEY,
  operator_id INTEGER,
  received_at INTEGER NOT NULL,
  material TEXT NOT NULL
);
CREATE INDEX request_log_signatures_received ON request_log_signatures (received_at);

-- Test deliveries listed apart (GET /v1/deliveries?test=true): few, read from their own indexes.
CREATE INDEX deliveries_test ON deliveries (created_at, id) WHERE test = 1;
CREATE INDEX deliveries_affiliate_test ON deliveries (affiliate_id, created_at, id) WHERE test = 1;
CREATE INDEX deliveries_endpoint_test ON deliveries (endpoint_id, created_at, id) WHERE test = 1;

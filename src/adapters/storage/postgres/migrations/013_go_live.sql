-- Go-live tooling (issue 16). The step trace of a traced postback (a test event, a validate-only
-- run): one JSON document per request-log row, written with it (validate-only: after its rollback).
-- Pruned with the request log, by the same time.
CREATE TABLE postback_traces (
  request_log_id TEXT PRIMARY KEY,
  operator_id BIGINT,
  received_at BIGINT NOT NULL,
  mode TEXT NOT NULL,
  trace TEXT NOT NULL
);
CREATE INDEX postback_traces_received ON postback_traces (received_at);

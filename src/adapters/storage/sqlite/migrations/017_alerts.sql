-- Alerts (docs/alerts.md): rules evaluated by the service, their state, the webhooks they go to and
-- each notification's delivery. Epoch milliseconds.

-- When the endpoint's current run of failed attempts began (NULL: its last attempt succeeded).
ALTER TABLE endpoints ADD COLUMN failing_since INTEGER;

CREATE TABLE alert_webhooks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  format TEXT NOT NULL,
  secret TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per firing episode: at most one firing alert per rule and subject (the partial unique
-- index), so processes evaluating at once cannot open it twice.
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  subject_kind TEXT NOT NULL,
  subject_id INTEGER NOT NULL,
  subject_name TEXT NOT NULL,
  state TEXT NOT NULL,
  since INTEGER NOT NULL,
  resolved_at INTEGER,
  figures TEXT NOT NULL,
  link TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX alerts_firing ON alerts (rule, subject_kind, subject_id) WHERE state = 'firing';
CREATE INDEX alerts_created ON alerts (created_at, id);
CREATE INDEX alerts_state ON alerts (state, created_at, id);

-- One notification per (alert, webhook, transition): firing once, resolved once.
CREATE TABLE alert_notifications (
  id TEXT PRIMARY KEY,
  alert_id TEXT NOT NULL,
  webhook_id INTEGER NOT NULL,
  transition TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  last_error TEXT,
  last_status INTEGER,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER,
  UNIQUE (alert_id, webhook_id, transition)
);
CREATE INDEX alert_notifications_due ON alert_notifications (run_at, id) WHERE state = 'pending';
CREATE INDEX alert_notifications_alert ON alert_notifications (alert_id);

-- Console sessions (the console): a signed-in browser holds a random token in an HttpOnly cookie; only
-- its SHA-256 is stored. A session ends at its expiry, when it is signed out (revoked_at), or when
-- its API key is revoked (checked on every request by joining api_keys).
CREATE TABLE console_sessions (
  id_hash TEXT PRIMARY KEY,
  api_key_id BIGINT NOT NULL REFERENCES api_keys (id),
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  ip TEXT,
  user_agent TEXT
);
CREATE INDEX console_sessions_by_key ON console_sessions (api_key_id);
-- Pruning ended sessions reads them by expiry.
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

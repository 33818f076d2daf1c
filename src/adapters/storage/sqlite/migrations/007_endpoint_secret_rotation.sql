-- Signing-secret rotation (docs/outbound.md#rotating-the-signing-secret): the secret a rotation
-- replaced keeps signing POST deliveries, next to the new one, until previous_secret_expires_at
-- (epoch milliseconds). Both NULL when the endpoint was never rotated or rotated with no grace.
ALTER TABLE endpoints ADD COLUMN previous_secret TEXT;
ALTER TABLE endpoints ADD COLUMN previous_secret_expires_at INTEGER;

-- The request log by program and by outcome (the console's request-log explorer and each program's
-- failure list). program_id: the program the request concerned when known (the conversion's
-- program, else the click's, else the program the request named, else its operator's only one);
-- NULL when none is known (an unknown operator key; a request of an operator with several programs
-- refused before its program was known; entries logged before this migration without a conversion).
-- outcome: what
-- became of it (domain/request-outcome.ts), decided when it is logged; a test event cannot be told
-- from its code and status alone, so it is stored rather than derived at read time. answer: the JSON
-- body that was sent (NULL for requests logged before this migration).
ALTER TABLE request_log ADD COLUMN program_id BIGINT;
ALTER TABLE request_log ADD COLUMN outcome TEXT NOT NULL DEFAULT 'rejected';
ALTER TABLE request_log ADD COLUMN answer TEXT;
UPDATE request_log SET program_id = (SELECT c.program_id FROM conversions c WHERE c.id = request_log.conversion_id)
WHERE conversion_id IS NOT NULL;
UPDATE request_log SET outcome = CASE
    WHEN status < 200 OR status > 299 THEN 'rejected'
    WHEN code = 'duplicate' THEN 'duplicate'
    WHEN code <> 'accepted' THEN 'rejected'
    WHEN EXISTS (SELECT 1 FROM conversions c WHERE c.id = request_log.conversion_id AND c.test = 1) THEN 'test'
    WHEN reason IS NOT NULL THEN 'unattributed'
    ELSE 'accepted'
  END
WHERE code IN ('accepted', 'duplicate');
-- Newest first, like the other request-log lists (009): of a program, of a program in an outcome
-- (its failures), in an outcome, with an HTTP status.
CREATE INDEX request_log_program ON request_log (program_id, received_at, id);
CREATE INDEX request_log_program_outcome ON request_log (program_id, outcome, received_at, id);
CREATE INDEX request_log_outcome ON request_log (outcome, received_at, id);
CREATE INDEX request_log_status ON request_log (status, received_at, id);
-- Conversions of an event type, and test events (a literal condition: the list writes `test = 1`).
CREATE INDEX conversions_event ON conversions (event, received_at, id);
CREATE INDEX conversions_test ON conversions (received_at, id) WHERE test = 1;

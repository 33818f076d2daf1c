-- PostgreSQL leaves room on the pages of deliveries and of two rollups for heap-only updates
-- (postgres/migrations/022_update_room.sql). SQLite rewrites a row in place and touches only the
-- indexes whose columns change: nothing to do here; the file keeps the two dialects' versions equal.
SELECT 1;

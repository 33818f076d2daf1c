-- The console's search by click id (issue: Console II, the conversion timeline): the conversions a
-- click led to, by one index range. Partial: unattributed and player-bound conversions without a
-- click id of their own are left out of it.
CREATE INDEX conversions_click ON conversions (click_id) WHERE click_id IS NOT NULL;

-- 0006: when an event's violation verdict reached its audit row. The event itself is written
-- straight from the gateway's topic (stored_at); the verdict follows from the player-events
-- agent, and this column measures (and lets operators watch) that second path.
ALTER TABLE playback_events ADD COLUMN judged_at timestamptz;

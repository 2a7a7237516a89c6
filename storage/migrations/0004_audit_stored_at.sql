-- 0004: when an audit row reached PostgreSQL, to measure (and watch) the lag from acceptance
-- (received_at, set by the gateway) to storage.
ALTER TABLE playback_events ADD COLUMN stored_at timestamptz NOT NULL DEFAULT clock_timestamp();

-- 0005: what the transcode watchdog needs to find stalled videos, on the video row itself.
-- transcode_job_id/attempt: the job the video waits for (the dispatch agent writes them before
-- it sends the job; a worker skips a job that is no longer the video's current one).
-- transcode_heartbeat_at: the last sign of life (job sent, progress, worker keep-alive).
-- transcode_stalls: how often the watchdog acted since the video's last transcode request.
ALTER TABLE videos
    ADD COLUMN transcode_job_id       text        NOT NULL DEFAULT '',
    ADD COLUMN transcode_attempt      integer     NOT NULL DEFAULT 0,
    ADD COLUMN transcode_heartbeat_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN transcode_stalls       integer     NOT NULL DEFAULT 0;
-- The watchdog's scan: only PROCESSING rows, oldest sign of life first.
CREATE INDEX videos_processing_heartbeat_idx ON videos (transcode_heartbeat_at)
    WHERE status = 'PROCESSING';

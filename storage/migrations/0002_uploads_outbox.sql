-- 0002: what the admin media API needs beyond the initial model.

-- Size of the uploaded source (HEAD at complete), shown by the admin front end.
ALTER TABLE videos ADD COLUMN file_size bigint CHECK (file_size >= 0);

-- `complete` is idempotent per uploaded object: a repeated call finds the same video.
CREATE UNIQUE INDEX videos_file_key_uniq ON videos (tenant_id, file_key) WHERE file_key <> '';

-- Transactional outbox: a message is recorded in the same transaction as the row it is about,
-- then relayed to Kafka. A crash between commit and publish delays the message, never loses it.
CREATE TABLE outbox (
    id            bigserial   PRIMARY KEY,
    tenant_id     bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    topic         text        NOT NULL,
    key           bytea       NOT NULL,
    value         jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
-- The relay only ever looks for unpublished rows, oldest first.
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;

-- S3 objects to remove after their video was deleted, drained in the background (durable, so a
-- restart does not leave orphans). A prefix removes every object under it.
CREATE TABLE object_deletions (
    id          bigserial   PRIMARY KEY,
    tenant_id   bigint      NOT NULL,   -- no FK: the tenant's rows may be gone, the objects not
    prefix      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    attempts    integer     NOT NULL DEFAULT 0,
    done_at     timestamptz
);
CREATE INDEX object_deletions_pending_idx ON object_deletions (id) WHERE done_at IS NULL;

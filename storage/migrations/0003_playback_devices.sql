-- 0003: the devices a student played from (admin view; the session actor holds the truth).
CREATE TABLE playback_devices (
    id              bigserial   PRIMARY KEY,
    tenant_id       bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id         text        NOT NULL,
    device_id       text        NOT NULL,
    first_seen_at   timestamptz NOT NULL,
    last_played_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, user_id, device_id)
);

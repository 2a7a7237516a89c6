-- 0008: the browser a device id was last seen with (the play request's User-Agent, bounded),
-- so admin pages name a device "Firefox on Windows". Written by the gateway at play, apart
-- from playback_devices (the session actor's record): a refused play leaves no device there.
CREATE TABLE playback_device_agents (
    tenant_id   bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     text        NOT NULL,
    device_id   text        NOT NULL,
    user_agent  text        NOT NULL,
    seen_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id, device_id)
);

-- 0001_initial: the whole lecturecast data model (PostgreSQL 15).
--
-- Conventions
-- * Every table but `tenants` carries tenant_id, and tenant_id leads its lookup indexes:
--   every query the services run is tenant-scoped.
-- * Foreign keys between tenant-owned rows are composite, (tenant_id, x_id) -> parent
--   (tenant_id, id), so a row can never point at another tenant's row. Each parent therefore
--   has a UNIQUE (tenant_id, id), and the child's (tenant_id, x_id) index serves the cascade.
-- * The UNIQUE constraints keep exactly the columns of the Django models (e.g. (video_id,
--   enrollment_id)) so that callers can name them as ON CONFLICT targets.
-- * Free text is `text NOT NULL DEFAULT ''` rather than NULL, like Django's blank CharFields.
-- * The runner (storage/migrate.py) wraps this file in one transaction: no BEGIN/COMMIT here.

-- Keeps updated_at current like Django's auto_now, but only when the UPDATE did not set it itself,
-- so a caller that writes an explicit timestamp (e.g. an event time) keeps it.
CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Tenants (academies)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE tenants (
    id          bigserial   PRIMARY KEY,
    slug        text        NOT NULL UNIQUE,
    settings    jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Students, lectures, class meetings, enrollments, attendance
-- (the slice of the academy's other apps that the media app depends on)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE students (
    id            bigserial   PRIMARY KEY,
    tenant_id     bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id       text        NOT NULL,              -- the JWT `sub` of this student
    name          text        NOT NULL,
    phone         text        NOT NULL DEFAULT '',
    parent_phone  text        NOT NULL DEFAULT '',
    school        text        NOT NULL DEFAULT '',
    grade         integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, user_id),
    UNIQUE (tenant_id, id)
);

CREATE TABLE lectures (
    id          bigserial   PRIMARY KEY,
    tenant_id   bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);

-- A lecture's class meetings (Django: lectures.Session). Not to be confused with playback sessions.
CREATE TABLE sessions (
    id          bigserial   PRIMARY KEY,
    tenant_id   bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    lecture_id  bigint      NOT NULL,
    title       text        NOT NULL,
    "order"     integer     NOT NULL DEFAULT 1 CHECK ("order" >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, lecture_id) REFERENCES lectures (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_lecture_idx ON sessions (tenant_id, lecture_id, "order", id);

CREATE TABLE enrollments (
    id          bigserial   PRIMARY KEY,
    tenant_id   bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    student_id  bigint      NOT NULL,
    lecture_id  bigint      NOT NULL,
    status      text        NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- student_id already implies the tenant, so this also serves "the enrollments of a student".
    UNIQUE (student_id, lecture_id),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, lecture_id) REFERENCES lectures (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX enrollments_lecture_idx ON enrollments (tenant_id, lecture_id, status);
CREATE INDEX enrollments_student_idx ON enrollments (tenant_id, student_id);

-- Which meetings of the lecture an enrollment takes part in.
CREATE TABLE session_enrollments (
    id             bigserial   PRIMARY KEY,
    tenant_id      bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id     bigint      NOT NULL,
    enrollment_id  bigint      NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, enrollment_id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, enrollment_id) REFERENCES enrollments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX session_enrollments_enrollment_idx ON session_enrollments (tenant_id, enrollment_id);

CREATE TABLE attendance (
    id             bigserial   PRIMARY KEY,
    tenant_id      bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id     bigint      NOT NULL,
    enrollment_id  bigint      NOT NULL,
    status         text        NOT NULL
                               CHECK (status IN ('PRESENT', 'LATE', 'ABSENT', 'EXCUSED')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, enrollment_id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, enrollment_id) REFERENCES enrollments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX attendance_enrollment_idx ON attendance (tenant_id, enrollment_id);

-- ---------------------------------------------------------------------------------------------
-- Videos and per-enrollment policy / progress
-- ---------------------------------------------------------------------------------------------
CREATE TABLE videos (
    id                   bigserial        PRIMARY KEY,
    tenant_id            bigint           NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id           bigint           NOT NULL,
    title                text             NOT NULL,
    "order"              integer          NOT NULL DEFAULT 1 CHECK ("order" >= 0),
    status               text             NOT NULL DEFAULT 'PENDING'
                         CHECK (status IN ('PENDING', 'UPLOADED', 'PROCESSING', 'READY', 'FAILED')),
    -- Sources: legacy YouTube / external link, or the uploaded S3 object (the source of truth).
    youtube_id           text             NOT NULL DEFAULT '',
    external_url         text             NOT NULL DEFAULT '',
    file_key             text             NOT NULL DEFAULT '',
    duration             integer          CHECK (duration >= 0),    -- seconds; NULL until probed
    thumbnail_key        text             NOT NULL DEFAULT '',
    -- Default playback policy; video_permissions may override it per enrollment.
    allow_skip           boolean          NOT NULL DEFAULT false,
    max_speed            double precision NOT NULL DEFAULT 1.0,
    show_watermark       boolean          NOT NULL DEFAULT true,
    -- Transcoder output.
    error_reason         text             NOT NULL DEFAULT '',
    processing_progress  smallint         NOT NULL DEFAULT 0
                         CHECK (processing_progress BETWEEN 0 AND 100),
    renditions           jsonb            NOT NULL DEFAULT '[]',
    hls_key_ciphertext   bytea,           -- the HLS AES key, encrypted by the app; never plaintext
    created_at           timestamptz      NOT NULL DEFAULT now(),
    updated_at           timestamptz      NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);
-- Matches the model's default ordering ("order", id) within a meeting.
CREATE INDEX videos_session_idx ON videos (tenant_id, session_id, "order", id);
CREATE INDEX videos_status_idx ON videos (tenant_id, status);

-- NULL overrides mean "use the video's default".
CREATE TABLE video_permissions (
    id                       bigserial        PRIMARY KEY,
    tenant_id                bigint           NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    video_id                 bigint           NOT NULL,
    enrollment_id            bigint           NOT NULL,
    rule                     text             NOT NULL DEFAULT 'once'
                                              CHECK (rule IN ('free', 'once', 'blocked')),
    allow_skip_override      boolean,
    max_speed_override       double precision,
    show_watermark_override  boolean,
    -- Hard blocks that win over every other setting.
    block_speed_control      boolean          NOT NULL DEFAULT false,
    block_seek               boolean          NOT NULL DEFAULT false,
    is_override              boolean          NOT NULL DEFAULT false,
    UNIQUE (video_id, enrollment_id),
    FOREIGN KEY (tenant_id, video_id) REFERENCES videos (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, enrollment_id) REFERENCES enrollments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX video_permissions_enrollment_idx ON video_permissions (tenant_id, enrollment_id);

-- Rewritten on every progress flush; fillfactor leaves room on the page for HOT updates
-- (no indexed column changes on such an update).
CREATE TABLE video_progress (
    id               bigserial        PRIMARY KEY,
    tenant_id        bigint           NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    video_id         bigint           NOT NULL,
    enrollment_id    bigint           NOT NULL,
    progress         double precision NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    last_position    integer          NOT NULL DEFAULT 0,    -- seconds
    watched_seconds  double precision NOT NULL DEFAULT 0,
    intervals        jsonb            NOT NULL DEFAULT '[]', -- merged [start, end] ranges watched
    completed        boolean          NOT NULL DEFAULT false,
    completed_at     timestamptz,
    updated_at       timestamptz      NOT NULL DEFAULT now(),
    UNIQUE (video_id, enrollment_id),
    FOREIGN KEY (tenant_id, video_id) REFERENCES videos (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, enrollment_id) REFERENCES enrollments (tenant_id, id) ON DELETE CASCADE
) WITH (fillfactor = 90);
CREATE INDEX video_progress_enrollment_idx ON video_progress (tenant_id, enrollment_id);

-- ---------------------------------------------------------------------------------------------
-- Playback sessions and the audit trail
-- ---------------------------------------------------------------------------------------------
-- last_seen_at moves on every heartbeat, hence the fillfactor (see video_progress).
CREATE TABLE playback_sessions (
    id             bigserial   PRIMARY KEY,
    tenant_id      bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id     text        NOT NULL UNIQUE,   -- opaque id handed to the player
    video_id       bigint      NOT NULL,
    enrollment_id  bigint      NOT NULL,
    user_id        text        NOT NULL,          -- JWT `sub`, denormalised for per-user limits
    device_id      text        NOT NULL,
    status         text        NOT NULL DEFAULT 'ACTIVE'
                               CHECK (status IN ('ACTIVE', 'ENDED', 'REVOKED', 'EXPIRED')),
    end_reason     text        NOT NULL DEFAULT '',
    started_at     timestamptz NOT NULL DEFAULT now(),
    ended_at       timestamptz,
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, video_id) REFERENCES videos (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, enrollment_id) REFERENCES enrollments (tenant_id, id) ON DELETE CASCADE
) WITH (fillfactor = 90);
CREATE INDEX playback_sessions_video_idx ON playback_sessions (tenant_id, video_id, status);
CREATE INDEX playback_sessions_user_idx ON playback_sessions (tenant_id, user_id, status);
CREATE INDEX playback_sessions_enrollment_idx ON playback_sessions (tenant_id, enrollment_id);

-- Audit trail of player events; high insert rate, append-only.
-- Deliberately NO foreign keys to videos / enrollments / tenants: an audit row must outlive the
-- video (and enrollment) it describes, and each FK would cost an index probe per insert.
-- id is assigned by the server when it accepts the event, so replays can insert
-- ... ON CONFLICT (id) DO NOTHING and stay idempotent.
CREATE TABLE playback_events (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         bigint      NOT NULL,
    video_id          bigint      NOT NULL,
    enrollment_id     bigint      NOT NULL,
    session_id        text        NOT NULL,   -- playback_sessions.session_id
    user_id           text        NOT NULL,
    event_type        text        NOT NULL,   -- unchecked: new player event types need no migration
    event_payload     jsonb       NOT NULL DEFAULT '{}',
    policy_snapshot   jsonb       NOT NULL DEFAULT '{}',  -- effective policy when the event came in
    violated          boolean     NOT NULL DEFAULT false,
    violation_reason  text        NOT NULL DEFAULT '',
    occurred_at       timestamptz NOT NULL,   -- client clock
    received_at       timestamptz NOT NULL DEFAULT now()  -- server clock; what admin views sort by
);
CREATE INDEX playback_events_video_idx ON playback_events (tenant_id, video_id, received_at DESC);
CREATE INDEX playback_events_enrollment_idx
    ON playback_events (tenant_id, enrollment_id, received_at DESC);
CREATE INDEX playback_events_session_idx ON playback_events (tenant_id, session_id);
CREATE INDEX playback_events_type_idx ON playback_events (tenant_id, event_type, received_at DESC);
-- Violations are a small fraction of events: a partial index keeps the "violations" view cheap.
CREATE INDEX playback_events_violations_idx
    ON playback_events (tenant_id, received_at DESC) WHERE violated;

-- ---------------------------------------------------------------------------------------------
-- updated_at maintenance
-- ---------------------------------------------------------------------------------------------
CREATE TRIGGER students_touch BEFORE UPDATE ON students
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER lectures_touch BEFORE UPDATE ON lectures
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER sessions_touch BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER enrollments_touch BEFORE UPDATE ON enrollments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER session_enrollments_touch BEFORE UPDATE ON session_enrollments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER attendance_touch BEFORE UPDATE ON attendance
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER videos_touch BEFORE UPDATE ON videos
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER video_progress_touch BEFORE UPDATE ON video_progress
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER playback_sessions_touch BEFORE UPDATE ON playback_sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

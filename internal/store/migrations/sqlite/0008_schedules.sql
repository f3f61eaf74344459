-- Schedules: a trigger (cron, recurrence or a data asset's new versions)
-- and the job request each firing submits (kind says what spec holds).
-- next_fire_at is NULL for data triggers and for schedules that are
-- disabled or past their end. Times are Unix milliseconds.
CREATE TABLE schedules (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id),
    workspace         TEXT NOT NULL,
    name              TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    description       TEXT NOT NULL,
    tags              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    spec              TEXT NOT NULL,
    trigger_type      TEXT NOT NULL,
    trigger_spec      TEXT NOT NULL,
    enabled           INTEGER NOT NULL,
    next_fire_at      BIGINT,
    last_fired_at     BIGINT,
    last_job          TEXT NOT NULL,
    last_error        TEXT NOT NULL,
    data_name         TEXT NOT NULL,
    last_data_version TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    created_by        TEXT NOT NULL,
    created_by_id     TEXT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
CREATE INDEX schedules_due ON schedules(enabled, next_fire_at);
CREATE INDEX schedules_data ON schedules(workspace_id, data_name);

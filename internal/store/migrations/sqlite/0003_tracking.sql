-- Experiment tracking (the MLflow model): experiments, runs, params, tags,
-- metric history with a latest-value table, dataset inputs, and the
-- artifact index that maps MLflow artifact paths to blobs.
CREATE TABLE experiments (
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id),
    id                BIGINT NOT NULL,
    name              TEXT NOT NULL,
    artifact_location TEXT NOT NULL,
    lifecycle_stage   TEXT NOT NULL,
    creation_time     BIGINT NOT NULL,
    last_update_time  BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);

CREATE TABLE experiment_tags (
    workspace_id  TEXT NOT NULL,
    experiment_id BIGINT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (workspace_id, experiment_id, key)
);

CREATE TABLE runs (
    run_id          TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    experiment_id   BIGINT NOT NULL,
    name            TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    status          TEXT NOT NULL,
    start_time      BIGINT NOT NULL,
    end_time        BIGINT,
    artifact_uri    TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL,
    deleted_time    BIGINT
);
CREATE INDEX runs_experiment ON runs(workspace_id, experiment_id, start_time);

CREATE TABLE params (
    run_id TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE run_tags (
    run_id TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);

-- Full history. No key: MLflow allows the same step to be logged twice.
CREATE TABLE metrics (
    run_id    TEXT NOT NULL,
    key       TEXT NOT NULL,
    step      BIGINT NOT NULL,
    timestamp BIGINT NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX metrics_history ON metrics(run_id, key, step, timestamp);

-- The latest value per key, by (step, timestamp, value), so listing and
-- searching runs never scans history.
CREATE TABLE latest_metrics (
    run_id    TEXT NOT NULL,
    key       TEXT NOT NULL,
    step      BIGINT NOT NULL,
    timestamp BIGINT NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX latest_metrics_key ON latest_metrics(key, value);

CREATE TABLE run_inputs (
    run_id      TEXT NOT NULL,
    name        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source      TEXT NOT NULL,
    schema      TEXT NOT NULL,
    profile     TEXT NOT NULL,
    context     TEXT NOT NULL,
    tags        TEXT NOT NULL,
    PRIMARY KEY (run_id, name, digest)
);

-- MLflow artifact paths (<experiment>/<run>/artifacts/<file>) to blobs.
CREATE TABLE artifacts (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    path         TEXT NOT NULL,
    digest       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, path)
);

CREATE TABLE artifact_uploads (
    upload_id    TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    path         TEXT NOT NULL,
    num_parts    INTEGER NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE artifact_upload_parts (
    upload_id   TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    digest      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);

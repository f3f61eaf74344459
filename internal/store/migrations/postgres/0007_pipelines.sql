-- Pipelines: registered command components (versioned; anonymous ones
-- keyed by content digest), the run of each pipeline job (its spec as
-- submitted) and its steps' states with the command job each ran or
-- reused, and the step reuse cache: a cache key → the completed job whose
-- outputs a later step with the same key takes. Times are Unix milliseconds.
CREATE TABLE components (
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id),
    name             TEXT COLLATE "C" NOT NULL,
    version          TEXT NOT NULL,
    version_num      BIGINT,
    anonymous        INTEGER NOT NULL,
    display_name     TEXT NOT NULL,
    description      TEXT NOT NULL,
    tags             TEXT NOT NULL,
    is_deterministic INTEGER NOT NULL,
    digest           TEXT NOT NULL,
    archived         INTEGER NOT NULL,
    spec             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name, version)
);
CREATE INDEX components_digest ON components(workspace_id, digest);

CREATE TABLE pipeline_runs (
    job_id       TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    spec         TEXT NOT NULL
);
CREATE INDEX pipeline_runs_workspace ON pipeline_runs(workspace_id);

CREATE TABLE pipeline_steps (
    pipeline_id  TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    step         TEXT NOT NULL,
    idx          INTEGER NOT NULL,
    state        TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    job_name     TEXT NOT NULL,
    reused       INTEGER NOT NULL,
    component    TEXT NOT NULL,
    cache_key    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    deps         TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, step)
);
CREATE INDEX pipeline_steps_job ON pipeline_steps(job_id);

CREATE TABLE step_cache (
    workspace_id TEXT NOT NULL,
    cache_key    TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    job_name     TEXT NOT NULL,
    step         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, cache_key)
);
CREATE INDEX step_cache_job ON step_cache(workspace_id, job_id);

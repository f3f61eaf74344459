-- Jobs: command jobs with their lifecycle events, bounded logs (chunks of
-- lines), the lease a controller holds on a started job, and lineage to the
-- data versions a job read and wrote; environments and compute targets.
-- Names sort bytewise (COLLATE "C"), as in Go and SQLite. Times are Unix milliseconds. CPU amounts are millicores.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id),
    workspace        TEXT NOT NULL,
    name             TEXT COLLATE "C" NOT NULL,
    type             TEXT NOT NULL,
    status           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    failure          TEXT NOT NULL,
    exit_code        INTEGER,
    compute          TEXT NOT NULL,
    environment      TEXT NOT NULL,
    spec             TEXT NOT NULL,
    experiment_id    TEXT NOT NULL,
    run_id           TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    cancel_requested INTEGER NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       TEXT NOT NULL,
    created_by_id    TEXT NOT NULL,
    started_at       BIGINT,
    ended_at         BIGINT,
    updated_at       BIGINT NOT NULL,
    token_id         TEXT NOT NULL,
    log_lines        BIGINT NOT NULL,
    log_bytes        BIGINT NOT NULL,
    log_chunks       BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
CREATE INDEX jobs_status ON jobs(status, created_at);
CREATE INDEX jobs_created ON jobs(workspace_id, created_at, name);

CREATE TABLE job_events (
    job_id  TEXT NOT NULL,
    seq     BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    status  TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE job_logs (
    job_id     TEXT NOT NULL,
    chunk      BIGINT NOT NULL,
    first_line BIGINT NOT NULL,
    lines      INTEGER NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (job_id, chunk)
);

CREATE TABLE job_leases (
    job_id      TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    compute     TEXT NOT NULL,
    handle      TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX job_leases_holder ON job_leases(holder);

CREATE TABLE job_lineage (
    job_id       TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    direction    TEXT NOT NULL,
    port         TEXT NOT NULL,
    data_name    TEXT NOT NULL,
    data_version TEXT NOT NULL,
    PRIMARY KEY (job_id, direction, port)
);
CREATE INDEX job_lineage_data ON job_lineage(workspace_id, data_name, data_version);

CREATE TABLE environments (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT COLLATE "C" NOT NULL,
    version      TEXT NOT NULL,
    version_num  BIGINT,
    kind         TEXT NOT NULL,
    description  TEXT NOT NULL,
    tags         TEXT NOT NULL,
    spec         TEXT NOT NULL,
    digest       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name, version)
);

CREATE TABLE computes (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT COLLATE "C" NOT NULL,
    type         TEXT NOT NULL,
    description  TEXT NOT NULL,
    tags         TEXT NOT NULL,
    cpu_milli    BIGINT NOT NULL,
    memory       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

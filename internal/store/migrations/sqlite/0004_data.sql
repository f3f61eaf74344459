-- Data: datastores (with sealed credentials), data assets and their
-- immutable versions, each version's manifest (one row per file) and its
-- profile. Times are Unix milliseconds; archived_at is NULL while active.
CREATE TABLE datastores (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    description  TEXT NOT NULL,
    tags         TEXT NOT NULL,
    path         TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    endpoint     TEXT NOT NULL,
    region       TEXT NOT NULL,
    secure       INTEGER NOT NULL,
    credentials  BLOB,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE data_assets (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    archived_at  BIGINT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE data_versions (
    workspace_id   TEXT NOT NULL,
    name           TEXT NOT NULL,
    version        TEXT NOT NULL,
    version_num    BIGINT,
    type           TEXT NOT NULL,
    description    TEXT NOT NULL,
    tags           TEXT NOT NULL,
    path           TEXT NOT NULL,
    datastore      TEXT NOT NULL,
    datastore_path TEXT NOT NULL,
    digest         TEXT NOT NULL,
    files          BIGINT NOT NULL,
    size           BIGINT NOT NULL,
    archived_at    BIGINT,
    created_at     BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     BIGINT,
    PRIMARY KEY (workspace_id, name, version)
);
CREATE INDEX data_versions_created ON data_versions(workspace_id, name, created_at);
CREATE INDEX data_versions_digest ON data_versions(workspace_id, datastore, digest);

CREATE TABLE data_files (
    workspace_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    path         TEXT NOT NULL,
    digest       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    mode         INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name, version, path)
);

CREATE TABLE data_profiles (
    workspace_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    profile      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name, version)
);

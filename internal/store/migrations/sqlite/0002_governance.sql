-- Governance: workspace roles, the hash-chained audit log, studio sessions
-- and one-time sign-in links.
CREATE TABLE role_assignments (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id),
    role         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX role_assignments_user ON role_assignments(user_id);

-- Append-only: the code has no UPDATE or DELETE for this table, and every row
-- carries the hash of the one before it, so an edit made behind Lathe's back
-- shows up in `lathe audit verify`. workspace_id has no foreign key on
-- purpose: the log outlives deleted workspaces.
CREATE TABLE audit_events (
    seq          BIGINT PRIMARY KEY,
    time         BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    workspace    TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    status       INTEGER NOT NULL,
    request_id   TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_events_workspace ON audit_events(workspace_id, seq);
CREATE INDEX audit_events_actor ON audit_events(actor, seq);
CREATE INDEX audit_events_time ON audit_events(time);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE signin_links (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Jobs, the nodes that run them, and secrets (encrypted values).

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,                        -- uuid
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    type TEXT NOT NULL,                         -- process_projectfile | package | delta_apply
    status TEXT NOT NULL,                       -- pending | queued | started | finished | failed
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    node_id TEXT,                               -- the node that claimed it
    exit_code INTEGER,
    output TEXT,                                -- the worker log (capped, tail kept)
    feedback TEXT,                              -- feedback.json, as the API returns it
    overwrite_conflicts BOOLEAN,                -- delta_apply
    data_snapshot_at BIGINT                     -- package: when its data was read
);
CREATE INDEX jobs_project ON jobs (project_id, created_at);
CREATE INDEX jobs_status ON jobs (status, created_at);
-- At most one active job per project, whichever node claims it.
CREATE UNIQUE INDEX jobs_one_active_per_project ON jobs (project_id) WHERE status IN ('queued', 'started');

CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

CREATE TABLE secrets (
    id TEXT PRIMARY KEY,                        -- uuid
    name TEXT NOT NULL,                         -- ^[A-Z]+[A-Z0-9_]+$
    type TEXT NOT NULL,                         -- envvar | pgservice
    project_id TEXT REFERENCES projects (id) ON DELETE CASCADE,
    organization_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    assigned_to BIGINT REFERENCES users (id) ON DELETE CASCADE,
    value {{BLOB}} NOT NULL,                    -- nonce || secretbox(value)
    created_at BIGINT NOT NULL,
    CHECK ((project_id IS NULL) <> (organization_id IS NULL))
);
CREATE UNIQUE INDEX secrets_unique ON secrets (name, coalesce(project_id, ''), coalesce(organization_id, 0), coalesce(assigned_to, 0));

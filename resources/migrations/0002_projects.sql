-- Organizations, teams, plans and subscriptions, projects and their collaborators.
-- Organizations and teams are accounts in `users` (type 2 and 3) with a row here besides.

CREATE TABLE organizations (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    default_member_role TEXT                    -- implicit project role of members; NULL: none
);
CREATE INDEX organizations_owner ON organizations (owner_id);

CREATE TABLE organization_members (
    id {{ID}},
    organization_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,                         -- admin | creator | member
    is_public BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_members_unique ON organization_members (organization_id, member_id);
CREATE INDEX organization_members_member ON organization_members (member_id);

CREATE TABLE teams (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,   -- username '@org/team'
    organization_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX teams_organization ON teams (organization_id);

CREATE TABLE team_members (
    id {{ID}},
    team_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX team_members_unique ON team_members (team_id, member_id);
CREATE INDEX team_members_member ON team_members (member_id);

CREATE TABLE plans (
    id {{ID}},
    code TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_premium BOOLEAN NOT NULL DEFAULT FALSE,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    storage_mb BIGINT NOT NULL,                 -- 1 MB = 1 000 000 bytes
    storage_keep_versions INTEGER NOT NULL DEFAULT 10,
    storage_warning_mb BIGINT NOT NULL DEFAULT 0,     -- client warning below this much free space
    storage_critical_mb BIGINT NOT NULL DEFAULT 0,
    max_organization_members INTEGER NOT NULL DEFAULT -1,                      -- -1: unlimited
    max_premium_collaborators_per_private_project INTEGER NOT NULL DEFAULT -1, -- -1: unlimited
    is_external_db_supported BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE UNIQUE INDEX plans_code ON plans (code);

-- The self-hosted default: active, generous, changed with `qfc-server plan set`.
INSERT INTO plans (code, display_name, is_premium, is_default, storage_mb, storage_keep_versions,
                   storage_warning_mb, storage_critical_mb)
VALUES ('self_hosted', 'Self-hosted', TRUE, TRUE, 1000000, 10, 1000, 100);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,                        -- uuid
    account_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    status TEXT NOT NULL,
    active_since BIGINT,
    active_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX subscriptions_account ON subscriptions (account_id);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,                        -- uuid
    owner_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    project_type TEXT NOT NULL DEFAULT 'regular',   -- regular | template | shared_datasets
    is_public BOOLEAN NOT NULL DEFAULT FALSE,
    is_featured BOOLEAN NOT NULL DEFAULT FALSE,
    is_attachment_download_on_demand BOOLEAN NOT NULL DEFAULT FALSE,
    has_restricted_projectfiles BOOLEAN NOT NULL DEFAULT FALSE,
    overwrite_conflicts BOOLEAN NOT NULL DEFAULT TRUE,
    packaging_offliner TEXT NOT NULL DEFAULT 'pythonmini',
    storage_keep_versions INTEGER,              -- per-project retention (NULL: the plan's)
    the_qgis_file_name TEXT,
    project_details TEXT,                       -- JSON of the last successful process_projectfile
    thumbnail_sha256 TEXT,
    thumbnail_type TEXT,
    file_storage_bytes BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    data_last_packaged_at BIGINT,
    data_last_updated_at BIGINT,
    restricted_data_last_updated_at BIGINT
);
CREATE UNIQUE INDEX projects_owner_name ON projects (owner_id, lower(name));
CREATE UNIQUE INDEX projects_one_shared_datasets ON projects (owner_id) WHERE project_type = 'shared_datasets';
CREATE INDEX projects_public ON projects (is_public);

CREATE TABLE project_collaborators (
    id {{ID}},
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    collaborator_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,                         -- admin | manager | editor | reporter | reader
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX project_collaborators_unique ON project_collaborators (project_id, collaborator_id);
CREATE INDEX project_collaborators_collaborator ON project_collaborators (collaborator_id);

-- Deltas pushed by QField (spec/api.md §11, §15.3, §16; worker.md §5): the deltas with their last
-- apply attempt, which apply job holds which delta, which data-file versions an apply job copied
-- (write-back rule of worker.md §7.7), and the server primary keys of features created offline
-- (the clientPks map handed to the worker).

CREATE TABLE deltas (
    id TEXT PRIMARY KEY,                        -- the delta's uuid: de-duplication key (§19.5)
    deltafile_id TEXT NOT NULL,                 -- the id of the deltafile that brought it
    deltafile_index INTEGER NOT NULL,           -- its position in that deltafile
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,                    -- clientId
    content TEXT NOT NULL,                      -- the delta object as uploaded (JSON text)
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_status TEXT NOT NULL,                  -- pending | started | applied | conflict |
                                                -- not_applied | error | ignored | unpermitted
    last_feedback TEXT,                         -- JSON object, or NULL
    last_modified_pk TEXT,                      -- the primary key the last attempt produced
    last_apply_attempt_at BIGINT,
    last_apply_attempt_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
-- Receipt order: created_at, then the position inside the deltafile.
CREATE INDEX deltas_project ON deltas (project_id, created_at, deltafile_index);
CREATE INDEX deltas_deltafile ON deltas (project_id, deltafile_id);
CREATE INDEX deltas_status ON deltas (project_id, last_status);

-- The deltas of a delta_apply job, in the order of its deltafile.json, with that attempt's result.
CREATE TABLE job_deltas (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    delta_id TEXT NOT NULL REFERENCES deltas (id) ON DELETE CASCADE,
    job_index INTEGER NOT NULL,
    status TEXT NOT NULL,                       -- pending | started | applied | conflict |
                                                -- not_applied | error
    feedback TEXT,                              -- the worker's delta_feedback entry (JSON)
    modified_pk TEXT,
    PRIMARY KEY (job_id, delta_id)
);
CREATE INDEX job_deltas_delta ON job_deltas (delta_id);

-- The version of each data file a delta_apply job copied into its work directory: a file whose
-- latest version differs when the job ends was uploaded meanwhile and is not overwritten.
CREATE TABLE job_file_versions (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,                         -- project file path
    version_id TEXT,                            -- NULL: the copy was not the latest version
    PRIMARY KEY (job_id, name)
);

-- clientPks (worker.md §5.2): key <clientId>__<localLayerId>__<localPk> of a feature created
-- offline → the primary key its applied create got on the server.
CREATE TABLE delta_client_pks (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    client_pk_key TEXT NOT NULL,
    client_id TEXT NOT NULL,
    server_pk TEXT NOT NULL,
    delta_id TEXT REFERENCES deltas (id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, client_pk_key)
);
CREATE INDEX delta_client_pks_client ON delta_client_pks (project_id, client_id);

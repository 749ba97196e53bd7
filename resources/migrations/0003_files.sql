-- Project files and their versions. Contents live in the FileStore, addressed by sha256; a blob
-- no row refers to is collected later.

CREATE TABLE files (
    id {{ID}},
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,                         -- the path, byte-exact and case-sensitive
    created_at BIGINT NOT NULL                  -- first upload of this path
);
CREATE UNIQUE INDEX files_project_name ON files (project_id, name);

CREATE TABLE file_versions (
    id TEXT PRIMARY KEY,                        -- version_id (uuid)
    file_id BIGINT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    md5 TEXT NOT NULL,
    etag TEXT NOT NULL,                         -- S3-style, 8 MiB parts: the API's md5sum
    size BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX file_versions_file ON file_versions (file_id, uploaded_at);
CREATE INDEX file_versions_sha256 ON file_versions (sha256);
CREATE INDEX projects_thumbnail ON projects (thumbnail_sha256);

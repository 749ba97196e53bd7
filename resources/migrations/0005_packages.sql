-- Packages: the files a package job produced (worker.md §4, api.md §10), an immutable set per
-- job. Their contents live in the FileStore like project files; they are not versioned and not
-- counted in the owner's storage.

CREATE TABLE package_files (
    id {{ID}},
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    md5 TEXT NOT NULL,
    etag TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX package_files_job_name ON package_files (job_id, name);
CREATE INDEX package_files_sha256 ON package_files (sha256);

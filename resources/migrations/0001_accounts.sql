-- Accounts (persons, and later organizations and teams share this table so that names are
-- unique across kinds), login tokens and failed-login records.
-- Times are BIGINT microseconds since the Unix epoch, UTC.

CREATE TABLE users (
    id {{ID}},
    username TEXT NOT NULL,
    type SMALLINT NOT NULL DEFAULT 1,           -- 1 person, 2 organization, 3 team
    email TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password TEXT NOT NULL DEFAULT '',          -- Django-compatible pbkdf2_sha256$...; '' = unusable
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_staff BOOLEAN NOT NULL DEFAULT FALSE,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    date_joined BIGINT NOT NULL,
    last_login BIGINT
);
CREATE UNIQUE INDEX users_username_ci ON users (lower(username));
CREATE INDEX users_email_ci ON users (lower(email));

CREATE TABLE auth_tokens (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL,                     -- hex SHA-256 of the key; keys are never stored
    client_type TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX auth_tokens_key_hash ON auth_tokens (key_hash);
CREATE INDEX auth_tokens_user_class ON auth_tokens (user_id, client_type, expires_at);

CREATE TABLE login_failures (
    id {{ID}},
    username TEXT NOT NULL,                     -- as typed, lower-cased
    address TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_user_address ON login_failures (username, address, failed_at);
CREATE INDEX login_failures_address ON login_failures (address, failed_at);

-- A database as qfc-server left it at schema version 1 (frozen: never edit; add v000N.sql files
-- for later versions). tst_migrator upgrades it to the current schema and checks the data.
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'accounts', 1787333834000000);

CREATE TABLE users (
    id {{ID}},
    username TEXT NOT NULL,
    type SMALLINT NOT NULL DEFAULT 1,
    email TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password TEXT NOT NULL DEFAULT '',
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
    key_hash TEXT NOT NULL,
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
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_user_address ON login_failures (username, address, failed_at);
CREATE INDEX login_failures_address ON login_failures (address, failed_at);

-- Alice's password is "fixture-password" (Django pbkdf2_sha256, 1000 iterations).
INSERT INTO users (username, email, password, is_staff, is_superuser, date_joined)
VALUES ('alice', 'alice@example.com',
        'pbkdf2_sha256$1000$fixturesalt$GrF/+I6K9OkdS6mNlSvotW/rSckUXS2h8YUwN2lpLsw=',
        FALSE, FALSE, 1787333834000000);
INSERT INTO auth_tokens (user_id, key_hash, client_type, created_at, expires_at)
VALUES (1, '0000000000000000000000000000000000000000000000000000000000000000', 'qfield',
        1787333834000000, 4102444800000000);

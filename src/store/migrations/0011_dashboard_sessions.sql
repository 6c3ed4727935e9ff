-- The dashboard's sign-in: one-time links (asgard login-link) and browser sessions, both stored as
-- SHA-256 digests of random ids; a PAT may carry a name its owner gave it.
CREATE TABLE login_links (
    id          bigserial PRIMARY KEY,
    digest      bytea NOT NULL UNIQUE CHECK (length(digest) = 32),
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE browser_sessions (
    id            bigserial PRIMARY KEY,
    digest        bytea NOT NULL UNIQUE CHECK (length(digest) = 32),
    user_id       bigint NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,            -- the absolute lifetime
    ended_at      timestamptz
);
CREATE INDEX browser_sessions_user_idx ON browser_sessions (user_id);

ALTER TABLE tokens ADD COLUMN name text CHECK (length(name) <= 100);

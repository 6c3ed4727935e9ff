-- Users, tokens, append-only standards and the hash-chained audit log.

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    is_admin    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Credentials: only a SHA-256 digest is kept; display_prefix helps people recognise a token.
CREATE TABLE tokens (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('user', 'project')),
    user_id         bigint REFERENCES users (id),
    project_id      text,
    digest          bytea NOT NULL UNIQUE CHECK (length(digest) = 32),
    display_prefix  text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    last_used_at    timestamptz,
    CHECK ((kind = 'user' AND user_id IS NOT NULL) OR (kind = 'project' AND project_id IS NOT NULL))
);
CREATE INDEX tokens_user_idx ON tokens (user_id);

-- Standards are append-only: a new version is a new row, old rows never change.
CREATE TABLE standards (
    name        text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    version     integer NOT NULL CHECK (version > 0),
    title       text NOT NULL,
    body        text NOT NULL,
    author      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

CREATE FUNCTION asgard_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER standards_append_only BEFORE UPDATE OR DELETE ON standards
    FOR EACH ROW EXECUTE FUNCTION asgard_reject_change();

-- The audit log: each row carries the hash of the previous one, so an edit or a deletion shows.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    credential_id  bigint,
    tool           text NOT NULL,
    project_id     text,
    outcome        text NOT NULL,
    detail         jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash      bytea NOT NULL,
    row_hash       bytea NOT NULL
);

CREATE FUNCTION asgard_audit_row_hash(prev bytea, at timestamptz, actor text, credential_id bigint,
                                      tool text, project_id text, outcome text, detail jsonb)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev || convert_to(concat_ws(E'\x1f',
        (extract(epoch FROM at) * 1000000)::bigint::text, actor, coalesce(credential_id::text, ''),
        tool, coalesce(project_id, ''), outcome, detail::text), 'UTF8'))
$$;

-- Appends one row; serialised by a transaction-scoped advisory lock (safe behind PgBouncer).
CREATE FUNCTION asgard_audit_append(p_actor text, p_credential_id bigint, p_tool text,
                                    p_project_id text, p_outcome text, p_detail jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_prev bytea;
    v_at   timestamptz := clock_timestamp();
    v_id   bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('asgard.audit_log'));
    SELECT row_hash INTO v_prev FROM audit_log ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, '\x'::bytea);
    INSERT INTO audit_log (at, actor, credential_id, tool, project_id, outcome, detail, prev_hash, row_hash)
    VALUES (v_at, p_actor, p_credential_id, p_tool, p_project_id, p_outcome, coalesce(p_detail, '{}'::jsonb),
            v_prev, asgard_audit_row_hash(v_prev, v_at, p_actor, p_credential_id, p_tool,
                                          p_project_id, p_outcome, coalesce(p_detail, '{}'::jsonb)))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

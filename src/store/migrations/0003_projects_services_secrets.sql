-- Projects, groups, operator settings, the service catalog, resource requests with their event
-- log, encrypted secrets, guidance/recipe drafts, the seed library, budgets and spend rollups.

CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (key, value) VALUES
    ('projects.require_manager', 'false'),
    ('projects.require_group', 'false');

CREATE TABLE group_members (
    group_name  text NOT NULL CHECK (group_name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_name, user_id)
);

-- proj-YYYY-NNNN: one counter row per year, bumped in the registering transaction (row lock),
-- so concurrent registrations get distinct, consecutive numbers.
CREATE TABLE project_sequences (
    year         integer PRIMARY KEY,
    last_number  integer NOT NULL
);

CREATE TABLE projects (
    id               text PRIMARY KEY CHECK (id ~ '^proj-[0-9]{4}-[0-9]{4,}$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description      text NOT NULL CHECK (length(description) <= 4000),
    owner_id         bigint NOT NULL REFERENCES users (id),
    manager_id       bigint REFERENCES users (id),
    group_name       text,
    gateway_enabled  boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_owner_idx ON projects (owner_id);
CREATE INDEX projects_manager_idx ON projects (manager_id);

ALTER TABLE tokens ADD CONSTRAINT tokens_project_fk FOREIGN KEY (project_id) REFERENCES projects (id);
CREATE INDEX tokens_project_idx ON tokens (project_id) WHERE project_id IS NOT NULL;

CREATE TABLE services (
    type             text PRIMARY KEY CHECK (type ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    title            text NOT NULL,
    description      text NOT NULL,
    tier             text NOT NULL CHECK (tier IN ('self-service', 'review')),
    parameters       jsonb NOT NULL,
    price_usd_month  numeric(12, 2) NOT NULL DEFAULT 0 CHECK (price_usd_month >= 0),
    driver           text NOT NULL CHECK (driver IN ('secret', 'postgres-database', 'redis-namespace',
                                                      'inference-gateway', 'webhook')),
    driver_config    jsonb NOT NULL DEFAULT '{}'::jsonb,
    enabled          boolean NOT NULL DEFAULT true
);

INSERT INTO services (type, title, description, tier, parameters, price_usd_month, driver) VALUES
('secret', 'Generated secret',
 'A random secret generated and stored encrypted by Asgard; read it with get_secret.',
 'self-service',
 '{"type":"object","additionalProperties":false,"required":["name"],"properties":{"name":{"type":"string","pattern":"^[A-Z][A-Z0-9_]{0,62}$","description":"Secret name, e.g. SESSION_KEY"},"length":{"type":"integer","minimum":16,"maximum":128,"description":"Characters (base62); default 32"}}}',
 0, 'secret'),
('postgres-database', 'PostgreSQL database',
 'A database and a login role of its own on the organisation''s PostgreSQL. The connection string becomes the project secret DATABASE_URL (or NAME_DATABASE_URL).',
 'self-service',
 '{"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","pattern":"^[a-z][a-z0-9_]{0,20}$","description":"Short name; default main"}}}',
 25, 'postgres-database'),
('redis-namespace', 'Redis namespace',
 'A Redis ACL user limited to keys under the project''s prefix. Its URL becomes the project secret REDIS_URL.',
 'self-service',
 '{"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","pattern":"^[a-z][a-z0-9_]{0,20}$","description":"Short name; default main"}}}',
 10, 'redis-namespace'),
('inference-gateway', 'LLM inference gateway',
 'Enables the project on the governed gateway (POST /api/gateway/chat) and mints its project key, shown once.',
 'self-service',
 '{"type":"object","additionalProperties":false,"properties":{}}',
 0, 'inference-gateway'),
('auth0-app', 'Auth0 application',
 'An Auth0 application for the project, created by the identity team after review.',
 'review',
 '{"type":"object","additionalProperties":false,"required":["app_type"],"properties":{"app_type":{"type":"string","enum":["spa","regular_web","native","m2m"]},"callback_urls":{"type":"array","maxItems":20,"items":{"type":"string","pattern":"^https://","maxLength":2000}}}}',
 0, 'webhook'),
('object-storage', 'Object storage bucket',
 'An S3-compatible bucket with credentials of its own, created after review.',
 'review',
 '{"type":"object","additionalProperties":false,"required":["bucket"],"properties":{"bucket":{"type":"string","pattern":"^[a-z0-9][a-z0-9-]{2,40}$"},"public_read":{"type":"boolean"}}}',
 15, 'webhook');

CREATE SEQUENCE resource_request_numbers;

CREATE TABLE resource_requests (
    id                  text PRIMARY KEY,
    project_id          text NOT NULL REFERENCES projects (id),
    service_type        text NOT NULL REFERENCES services (type),
    params              jsonb NOT NULL,
    justification       text,
    state               text NOT NULL CHECK (state IN ('requested', 'pending_approval', 'approved',
                            'provisioning', 'ready', 'deprovisioning', 'deprovisioned', 'denied',
                            'cancelled', 'failed')),
    reason              text,
    outputs             jsonb NOT NULL DEFAULT '{}'::jsonb,
    requested_by        text NOT NULL,
    price_usd_month     numeric(12, 2) NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    ready_at            timestamptz,
    released_at         timestamptz
);
CREATE INDEX resource_requests_project_idx ON resource_requests (project_id);
CREATE INDEX resource_requests_state_idx ON resource_requests (state);

CREATE TABLE resource_events (
    id          bigserial PRIMARY KEY,
    request_id  text NOT NULL REFERENCES resource_requests (id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    from_state  text,
    to_state    text NOT NULL,
    actor       text NOT NULL,
    note        text
);
CREATE INDEX resource_events_request_idx ON resource_events (request_id, id);

-- AES-256-GCM under a key derived from the master key; the AAD binds a value to its project and name.
CREATE TABLE secrets (
    project_id      text NOT NULL REFERENCES projects (id),
    name            text NOT NULL CHECK (name ~ '^[A-Z][A-Z0-9_]{0,62}$'),
    nonce           bytea NOT NULL CHECK (length(nonce) = 12),
    ciphertext      bytea NOT NULL,
    source_request  text REFERENCES resource_requests (id),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, name)
);

-- Guidance and recipes: each put is a new version; drafts become published or rejected once.
CREATE TABLE documents (
    kind        text NOT NULL CHECK (kind IN ('guidance', 'recipe')),
    name        text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    version     integer NOT NULL CHECK (version > 0),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('draft', 'published', 'rejected')),
    author_id   bigint REFERENCES users (id),
    author      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_by  text,
    decided_at  timestamptz,
    reason      text,
    PRIMARY KEY (kind, name, version)
);

CREATE FUNCTION asgard_documents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'documents are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status <> 'draft' OR NEW.body IS DISTINCT FROM OLD.body OR NEW.title IS DISTINCT FROM OLD.title
       OR NEW.name IS DISTINCT FROM OLD.name OR NEW.version IS DISTINCT FROM OLD.version THEN
        RAISE EXCEPTION 'a % version never changes once written; only a draft''s status is decided', OLD.kind
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER documents_guard BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION asgard_documents_guard();

CREATE TABLE seed_files (
    id          text PRIMARY KEY CHECK (id ~ '^(core|language|domain|template)/[a-z0-9][a-z0-9_-]{0,63}$'),
    kind        text NOT NULL CHECK (kind IN ('core', 'language', 'domain', 'template')),
    title       text NOT NULL,
    target      text NOT NULL,
    applies_to  text[] NOT NULL DEFAULT '{}',
    keywords    text[] NOT NULL DEFAULT '{}',
    why         text NOT NULL,
    body        text NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE budgets (
    project_id   text PRIMARY KEY REFERENCES projects (id),
    monthly_usd  numeric(14, 6) NOT NULL CHECK (monthly_usd >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Gateway spend, rolled up per day, project, key and model (written by the gateway in batches).
CREATE TABLE spend_daily (
    day            date NOT NULL,
    project_id     text NOT NULL REFERENCES projects (id),
    token_id       bigint NOT NULL,
    model          text NOT NULL,
    requests       bigint NOT NULL DEFAULT 0,
    input_tokens   bigint NOT NULL DEFAULT 0,
    output_tokens  bigint NOT NULL DEFAULT 0,
    cost_usd       numeric(14, 6) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, project_id, token_id, model)
);

-- The governed LLM gateway: providers (with their encrypted keys), the model catalog, kill
-- switches, rate limits, guardrail rules and a version counter that workers poll for changes.

CREATE TABLE providers (
    name            text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    upstream        text NOT NULL CHECK (upstream ~ '^[A-Za-z0-9_.-]{1,100}$'),
    tls             boolean NOT NULL DEFAULT false,
    host            text NOT NULL,
    path            text NOT NULL DEFAULT '/v1/chat/completions' CHECK (path ~ '^/[A-Za-z0-9/._~-]*$'),
    key_nonce       bytea NOT NULL CHECK (length(key_nonce) = 12),
    key_ciphertext  bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE models (
    alias           text PRIMARY KEY CHECK (alias ~ '^[A-Za-z0-9][A-Za-z0-9:/._-]{0,127}$'),
    provider        text NOT NULL REFERENCES providers (name),
    upstream_model  text NOT NULL CHECK (length(upstream_model) BETWEEN 1 AND 200),
    price_in        numeric(14, 6) NOT NULL CHECK (price_in >= 0),   -- USD per million input tokens
    price_out       numeric(14, 6) NOT NULL CHECK (price_out >= 0),  -- USD per million output tokens
    data_classes    text[] NOT NULL CHECK (data_classes <@ ARRAY['public', 'internal', 'confidential', 'restricted']),
    max_output_tokens integer NOT NULL DEFAULT 4096 CHECK (max_output_tokens > 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- scope global (target ''), project (a project id) or model (an alias).
CREATE TABLE kill_switches (
    scope       text NOT NULL CHECK (scope IN ('global', 'project', 'model')),
    target      text NOT NULL DEFAULT '',
    reason      text,
    set_by      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, target)
);

-- Per key limits; project_id '' holds the default for every project.
CREATE TABLE rate_limits (
    project_id  text PRIMARY KEY,
    rpm         integer NOT NULL CHECK (rpm > 0),
    tpm         integer NOT NULL CHECK (tpm > 0)
);
INSERT INTO rate_limits (project_id, rpm, tpm) VALUES ('', 600, 1000000);

-- What each detector does for each data class: block (400), redact, or allow.
CREATE TABLE guardrail_rules (
    data_class  text NOT NULL CHECK (data_class IN ('public', 'internal', 'confidential', 'restricted')),
    detector    text NOT NULL CHECK (detector IN ('secrets', 'email', 'card', 'patterns')),
    action      text NOT NULL CHECK (action IN ('block', 'redact', 'allow')),
    PRIMARY KEY (data_class, detector)
);
INSERT INTO guardrail_rules (data_class, detector, action)
SELECT c, d, CASE WHEN d IN ('secrets', 'card') THEN 'block' WHEN d = 'patterns' THEN 'block'
                  WHEN c = 'public' THEN 'block' ELSE 'redact' END
FROM unnest(ARRAY['public', 'internal', 'confidential', 'restricted']) c,
     unnest(ARRAY['secrets', 'email', 'card', 'patterns']) d;

-- Operator patterns (POSIX extended regular expressions), applied by the 'patterns' detector.
CREATE TABLE guardrail_patterns (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    pattern     text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 1000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO settings (key, value) VALUES
    ('gateway.default_data_class', ''),          -- '' means: a request without data_class gets 400
    ('gateway.rate_limit_fail_open', 'false');

-- Workers poll this one row; every change to gateway configuration bumps it.
CREATE TABLE gateway_state (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    version  bigint NOT NULL
);
INSERT INTO gateway_state (id, version) VALUES (true, 1);

CREATE FUNCTION asgard_gateway_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE gateway_state SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER providers_bump AFTER INSERT OR UPDATE OR DELETE ON providers
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();
CREATE TRIGGER models_bump AFTER INSERT OR UPDATE OR DELETE ON models
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();
CREATE TRIGGER kill_switches_bump AFTER INSERT OR UPDATE OR DELETE ON kill_switches
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();
CREATE TRIGGER rate_limits_bump AFTER INSERT OR UPDATE OR DELETE ON rate_limits
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();
CREATE TRIGGER guardrail_rules_bump AFTER INSERT OR UPDATE OR DELETE ON guardrail_rules
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();
CREATE TRIGGER guardrail_patterns_bump AFTER INSERT OR UPDATE OR DELETE ON guardrail_patterns
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();
CREATE TRIGGER settings_bump AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();
CREATE TRIGGER budgets_bump AFTER INSERT OR UPDATE OR DELETE ON budgets
    FOR EACH STATEMENT EXECUTE FUNCTION asgard_gateway_bump();

-- Appends many audit rows in one call (the gateway's batches): one lock, the chain computed in order.
CREATE FUNCTION asgard_audit_append_many(p_actor text[], p_credential_id bigint[], p_tool text[],
                                         p_project_id text[], p_outcome text[], p_detail jsonb[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_prev bytea;
    v_at   timestamptz;
    i      integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('asgard.audit_log'));
    SELECT row_hash INTO v_prev FROM audit_log ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, '\x'::bytea);
    FOR i IN 1 .. coalesce(array_length(p_actor, 1), 0) LOOP
        v_at := clock_timestamp();
        INSERT INTO audit_log (at, actor, credential_id, tool, project_id, outcome, detail, prev_hash, row_hash)
        VALUES (v_at, p_actor[i], p_credential_id[i], p_tool[i], p_project_id[i], p_outcome[i], p_detail[i], v_prev,
                asgard_audit_row_hash(v_prev, v_at, p_actor[i], p_credential_id[i], p_tool[i], p_project_id[i],
                                      p_outcome[i], p_detail[i]))
        RETURNING row_hash INTO v_prev;
    END LOOP;
END $$;

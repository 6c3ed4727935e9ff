-- The audit detail is kept as json: the exact text the chain hash covers, stored as written,
-- without jsonb's parse and rebuild on every row (about a third of PostgreSQL's cost per row when
-- the gateway still wrote its calls here). Every writer sends jsonb's own text form, so rows
-- written before this migration keep their hashes.

ALTER TABLE audit_log ALTER COLUMN detail DROP DEFAULT;
ALTER TABLE audit_log ALTER COLUMN detail TYPE json USING detail::json;
ALTER TABLE audit_log ALTER COLUMN detail SET DEFAULT '{}'::json;

-- The gateway writes its batches with COPY now.
DROP FUNCTION asgard_audit_append_many(text[], bigint[], text[], text[], text[], jsonb[]);

CREATE FUNCTION asgard_audit_row_hash(prev bytea, at timestamptz, actor text, credential_id bigint,
                                      tool text, project_id text, outcome text, detail json)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev || convert_to(concat_ws(E'\x1f',
        (extract(epoch FROM at) * 1000000)::bigint::text, actor, coalesce(credential_id::text, ''),
        tool, coalesce(project_id, ''), outcome, detail::text), 'UTF8'))
$$;

-- Appends one row; the detail is stored as jsonb prints it (sorted keys, one space after ':' and
-- ','), the form the gateway's batches write too.
CREATE OR REPLACE FUNCTION asgard_audit_append(p_actor text, p_credential_id bigint, p_tool text,
                                               p_project_id text, p_outcome text, p_detail jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_prev   bytea;
    v_at     timestamptz := clock_timestamp();
    v_detail json := coalesce(p_detail, '{}'::jsonb)::text::json;
    v_id     bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('asgard.audit_log'));
    SELECT row_hash INTO v_prev FROM audit_log ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, '\x'::bytea);
    INSERT INTO audit_log (at, actor, credential_id, tool, project_id, outcome, detail, prev_hash, row_hash)
    VALUES (v_at, p_actor, p_credential_id, p_tool, p_project_id, p_outcome, v_detail,
            v_prev, asgard_audit_row_hash(v_prev, v_at, p_actor, p_credential_id, p_tool,
                                          p_project_id, p_outcome, v_detail))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

DROP FUNCTION asgard_audit_row_hash(bytea, timestamptz, text, bigint, text, text, text, jsonb);

-- The gateway's call log: one row per call with typed columns, hash-chained on its own. A gateway
-- writes thousands of these a second; as audit_log rows (generic columns and a json detail) they
-- cost PostgreSQL about three times as much, and each batch held the lock every control-plane
-- audit write waits for. Calls logged before this migration stay in audit_log (tool gateway.chat).

CREATE TABLE gateway_calls (
    id              bigint PRIMARY KEY,  -- taken in blocks by each batch, under the log's lock
    at              timestamptz NOT NULL,
    project_id      text NOT NULL,
    token_id        bigint NOT NULL,     -- the project key's id, never the key
    model           text NOT NULL,       -- the alias asked for; '' when the call named none we know
    data_class      text NOT NULL,       -- '' when the call was refused before it had one
    outcome         text NOT NULL,       -- ok, upstream_error, client_aborted, denied:<code>
    status          integer NOT NULL,    -- what the client got (the provider's status when it answered)
    input_tokens    bigint NOT NULL,
    output_tokens   bigint NOT NULL,
    cost_micro_usd  bigint NOT NULL,
    redacted        text NOT NULL,       -- guardrail detectors that redacted the prompt, comma-separated
    request_id      text NOT NULL,       -- x-asgard-request-id
    prev_hash       bytea NOT NULL,
    row_hash        bytea NOT NULL
);
CREATE SEQUENCE gateway_calls_id_seq OWNED BY gateway_calls.id;
CREATE INDEX gateway_calls_at_idx ON gateway_calls USING brin (at);

-- SHA-256 of the previous row's hash, then the fields joined by 0x1f; the writer computes the same.
CREATE FUNCTION asgard_gateway_call_hash(prev bytea, at timestamptz, project_id text, token_id bigint,
                                         model text, data_class text, outcome text, status integer,
                                         input_tokens bigint, output_tokens bigint, cost_micro_usd bigint,
                                         redacted text, request_id text)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev || convert_to(concat_ws(E'\x1f',
        (extract(epoch FROM at) * 1000000)::bigint::text, project_id, token_id::text, model, data_class,
        outcome, status::text, input_tokens::text, output_tokens::text, cost_micro_usd::text, redacted,
        request_id), 'UTF8'))
$$;

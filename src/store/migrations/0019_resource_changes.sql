-- The change feed of MCP resources: a row for each standard version and each published guidance
-- or recipe version, written by triggers in the transaction that makes the change, so no path
-- (MCP, the dashboard, the CLI, SQL) can change a resource without its row. The /mcp event streams
-- read it to tell clients (notifications/resources/list_changed and .../updated). created: the
-- resource had no visible version before (the list changed).
CREATE TABLE resource_changes (
    seq      bigserial PRIMARY KEY,
    uri      text NOT NULL,
    created  boolean NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION asgard_standard_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_changes (uri, created) VALUES ('asgard://standards/' || NEW.name, NEW.version = 1);
    RETURN NULL;
END $$;
CREATE TRIGGER standards_feed AFTER INSERT ON standards
    FOR EACH ROW EXECUTE FUNCTION asgard_standard_changed();

CREATE FUNCTION asgard_document_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND (TG_OP = 'INSERT' OR OLD.status <> 'published') THEN
        INSERT INTO resource_changes (uri, created) VALUES (
            'asgard://' || CASE NEW.kind WHEN 'guidance' THEN 'guidance' ELSE 'recipes' END || '/' || NEW.name,
            NOT EXISTS (SELECT 1 FROM documents d WHERE d.kind = NEW.kind AND d.name = NEW.name
                        AND d.status = 'published' AND d.version <> NEW.version));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER documents_feed AFTER INSERT OR UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION asgard_document_changed();

-- What each MCP session (by the SHA-256 of its id) subscribed to, until the session's end of life.
CREATE TABLE resource_subscriptions (
    session_key  bytea NOT NULL CHECK (length(session_key) = 32),
    uri          text NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (session_key, uri)
);
CREATE INDEX resource_subscriptions_expiry_idx ON resource_subscriptions (expires_at);

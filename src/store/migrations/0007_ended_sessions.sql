-- Ended MCP sessions: the record that decides whether a session was ended (DELETE /mcp). Redis
-- holds a mirror and each node's shared-memory cache a short-lived copy, only to speed the check
-- up, so an ended session stays ended whatever happens to Redis.

CREATE TABLE mcp_ended_sessions (
    session_key  bytea PRIMARY KEY,     -- SHA-256 of the Mcp-Session-Id (session_cache_key)
    issued_at    timestamptz NOT NULL,  -- the session's issue time: pruned once it has expired
    ended_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_ended_sessions_issued_at_idx ON mcp_ended_sessions (issued_at);

-- How many sessions were ever ended. The statement that records an ending bumps it while it holds
-- this row's lock, so endings are numbered in the order they commit: a snapshot that reads N
-- also sees every ending numbered N or less. The Redis mirror says up to which number it holds
-- every ending; a node trusts the mirror's "not ended" only when that number is current.
CREATE TABLE mcp_session_end_count (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation  bigint NOT NULL
);
INSERT INTO mcp_session_end_count (only_row, generation) VALUES (true, 0);

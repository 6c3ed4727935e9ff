-- The dashboard's audit and call log pages: newest first by keyset on (at, id), filtered by one
-- column and a time range. Each filter a page offers has an index that starts with it, so a page
-- at any depth reads only the rows it shows (the call log's BRIN on at cannot order rows).
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_actor_at_idx ON audit_log (actor, at, id);
CREATE INDEX audit_log_project_at_idx ON audit_log (project_id, at, id) WHERE project_id IS NOT NULL;
CREATE INDEX audit_log_tool_at_idx ON audit_log (tool, at, id);
CREATE INDEX audit_log_outcome_at_idx ON audit_log (outcome, at, id);
CREATE INDEX gateway_calls_at_id_idx ON gateway_calls (at, id);
CREATE INDEX gateway_calls_project_at_idx ON gateway_calls (project_id, at, id);
CREATE INDEX gateway_calls_model_at_idx ON gateway_calls (model, at, id);
-- An outcome's family (ok, denied, upstream_error...: what comes before a ':'), so "every denial"
-- is an index range in any collation (LIKE 'denied:%' uses a btree only under the C collation).
CREATE INDEX gateway_calls_outcome_at_idx ON gateway_calls ((split_part(outcome, ':', 1)), at, id);

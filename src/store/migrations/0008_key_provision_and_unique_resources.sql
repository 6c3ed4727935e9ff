-- A project key provisions only when minted with --allow-provision; a named resource (a secret, a
-- database, a Redis namespace, the gateway) is live at most once per project.

ALTER TABLE tokens ADD COLUMN may_provision boolean NOT NULL DEFAULT false;

-- Requests that the race closed below left live twice over one name: the earliest keeps the name
-- (and the secrets), the later ones are failed with an event saying why.
CREATE TEMPORARY TABLE asgard_0008_duplicates ON COMMIT DROP AS
SELECT id, project_id, state, keeper FROM (
    SELECT id, project_id, state,
           first_value(id) OVER w AS keeper,
           row_number() OVER w AS n
      FROM resource_requests
     WHERE service_type IN ('secret', 'postgres-database', 'redis-namespace', 'inference-gateway')
       AND state IN ('requested', 'pending_approval', 'approved', 'provisioning', 'ready', 'deprovisioning')
    WINDOW w AS (PARTITION BY project_id, service_type, coalesce(params->>'name', 'main') ORDER BY created_at, id)
) ranked WHERE n > 1;

INSERT INTO resource_events (request_id, from_state, to_state, actor, note)
SELECT id, state, 'failed', 'migration:0008', 'a duplicate of ' || keeper || ', which keeps the name'
  FROM asgard_0008_duplicates;

UPDATE resource_requests r
   SET state = 'failed', reason = 'a duplicate of ' || d.keeper || ', which keeps the name', updated_at = now()
  FROM asgard_0008_duplicates d WHERE r.id = d.id;

UPDATE secrets s SET source_request = d.keeper
  FROM asgard_0008_duplicates d WHERE s.project_id = d.project_id AND s.source_request = d.id;

CREATE UNIQUE INDEX resource_requests_live_name_idx
    ON resource_requests (project_id, service_type, (coalesce(params->>'name', 'main')))
 WHERE service_type IN ('secret', 'postgres-database', 'redis-namespace', 'inference-gateway')
   AND state IN ('requested', 'pending_approval', 'approved', 'provisioning', 'ready', 'deprovisioning');

-- Starter guidance and recipes (published version 1 of each), so that an agent's first
-- guidance_list and recipe_list find something to follow. Admins edit or replace them as any other.
INSERT INTO documents (kind, name, version, title, body, status, author, decided_by, decided_at) VALUES
('guidance', 'calling-models', 1, 'Calling models through the gateway', $doc$# Calling models through the gateway

Inference is service usage, not an MCP tool. Call models with the project's key at the gateway;
never wire a provider's SDK to a provider's own key.

## The key

- Mint it with `gateway_credential` (project key `asg_...`). Store it as the deployment's secret
  `ASGARD_PROJECT_KEY`; never commit it, never print it, never put it in a URL.
- Calling `gateway_credential` again rotates it: the previous key stops working.

## The endpoints

- OpenAI-compatible clients: base URL `https://<host>/api/gateway/v1` (chat completions,
  Responses, embeddings, models). Anthropic clients: base URL `https://<host>/api/gateway`
  (Messages, count_tokens).
- Ask `GET /api/gateway/v1/models` which model aliases the key may use; name the alias
  (`model:default/gpt-5`), never a provider's model name.

## Data class

Every call declares what it carries: `data_class` in the body, the `X-Asgard-Data-Class` header,
or the key's default. Choose the most sensitive class present in the prompt (public, internal,
confidential, restricted); the gateway refuses models that may not see it.

## Answers to handle

- `402` the project's budget is spent; `403` the model may not see this data class; `503
  kill_switch` an administrator stopped traffic. These carry `x-should-retry: false`: do not
  retry them.
- `400 guardrail_blocked` the prompt holds something its data class forbids (a secret, a card
  number...): remove it rather than retrying.
- `429` a rate limit: wait `Retry-After` seconds, then retry.
- Report the `x-request-id` of a failed call when you ask for help.
$doc$, 'published', 'asgard', 'asgard', now()),
('guidance', 'secrets-and-credentials', 1, 'Secrets and credentials', $doc$# Secrets and credentials

## Which credential

- A user token (`asg_pat_...`) is yours: it connects your agent to Asgard over MCP and acts on the
  projects you own or manage. It never calls a service and never goes into a deployment.
- A project key (`asg_...`) belongs to one project: it goes into that project's deployment or CI.

## Reading secrets

- Read a provisioned secret with `get_secret` when you need it; every read is audited. Put the
  value in the deployment's secret store, not in the repository, an image layer or a log line.
- Refer to secrets by name in code and configuration (`DATABASE_URL`), read from the environment.

## In the repository

- Commit `.env.example` with names and no values; keep `.env` in `.gitignore`.
- Logs, errors and test fixtures never contain a token, a key or a secret value. Redact before
  logging anything that came from a request's headers.

## When one leaks

Rotate it at once (`gateway_credential` for the project key, the dashboard's My tokens for a PAT,
`request_resource` anew for a service credential), then tell the project's owner.
$doc$, 'published', 'asgard', 'asgard', now()),
('recipe', 'provision-a-service', 1, 'Provision a service for a project', $doc$# Provision a service for a project

1. `register_project` (name, description) if the work has no project yet: it returns
   `proj-YYYY-NNNN` and makes you the owner. Nothing chargeable happens without it.
2. `list_services`: pick the service type and read its parameter schema and price.
3. `request_resource` with `project_id`, the type and its parameters, and why you need it.
   Self-service types provision at once; review-tier types wait for an administrator
   (`pending_approval`).
4. `get_resource` until its state is `ready` (or `denied`, with the reviewer's reason). Do not
   create a second request for the same thing while one is pending.
5. `get_secret` for the credentials it produced, and put them in the deployment's secret store
   (see the guidance "secrets-and-credentials").
6. `get_cost` shows what the project's resources and model calls cost this month.
$doc$, 'published', 'asgard', 'asgard', now()),
('recipe', 'rotate-the-project-key', 1, 'Rotate a project''s LLM key', $doc$# Rotate a project's LLM key

1. `gateway_credential` with the project's `project_id`: it mints a new project key and revokes
   the previous one (a CI key minted with provisioning rights is a separate key and is kept).
2. Replace `ASGARD_PROJECT_KEY` in every deployment and CI secret store that held the old key.
3. Redeploy, then call `GET /api/gateway/v1/models` with the new key: `200` means it works.
4. The old key now gets `401 revoked_token`; any service still using it shows up as failing
   calls, so check the deployments' logs for 401s from the gateway.
$doc$, 'published', 'asgard', 'asgard', now())
ON CONFLICT DO NOTHING;

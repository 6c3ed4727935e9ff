-- Starter engineering, security and workflow standards (version 1 of each).
INSERT INTO standards (name, version, title, body, author) VALUES
('engineering', 1, 'Engineering standard', $std$# Engineering standard

This standard applies to all code an agent writes or changes for the organisation.
"MUST" is mandatory; "SHOULD" may be departed from only with a stated reason in the PR.

## Code structure

- Each file MUST have one job. Split a file when it covers two unrelated concerns.
- Files SHOULD stay under about 400 lines; functions SHOULD stay under about 50 lines.
- Names MUST explain what a thing is or does (`retry_delay_ms`, not `d` or `tmp2`).
- Code MUST NOT be left commented out; delete it, version control keeps history.
- Duplicated logic SHOULD be extracted once it appears a third time, not before.
- Public interfaces (HTTP, CLI, library APIs) MUST be deliberate and documented.

## Tests

- Every behaviour the code promises MUST have a test, including error paths.
- A test MUST be able to fail: check it fails when the behaviour is broken.
- Tests MUST NOT use sleeps for synchronisation; wait on an explicit signal,
  poll with a deadline, or inject a fake clock.
- Tests MUST be deterministic and independent of run order and of each other.
- Tests MUST NOT call real external services; use fakes or local containers.
- Every bug fix MUST add a test that reproduces the bug.
- The full test suite MUST run with one documented command.

## Error handling

- Errors MUST NOT be swallowed. Handle them, or return them with added context.
- Error messages MUST say what failed and, where possible, what to do about it.
- HTTP services MUST use correct status codes: 400 for bad input, 401 when
  unauthenticated, 403 when forbidden, 404 when missing, 409 on conflict,
  5xx only for server faults.
- Errors returned to callers MUST NOT leak stack traces, secrets or internals.
- Code MUST fail fast at startup on missing or invalid configuration.

## Dependencies

- Prefer the standard library, then well-maintained, widely used libraries
  (recent releases, active maintainers, permissive licence).
- Every dependency MUST be pinned, and the lock file MUST be committed.
- Do not add a dependency for a few lines of code you can write and test.
- Each new dependency MUST be justified in the PR description.

## Performance

- Performance claims MUST be measured, not guessed: benchmark or profile first.
- Optimisations MUST cite the measurement before and after in the PR.
- Code MUST avoid obvious waste: N+1 queries, unbounded loops over remote calls,
  loading whole datasets into memory when streaming works.
- Every network call MUST have a timeout; every queue or cache MUST have a bound.

## Documentation

- Every repository MUST have a README with: what it is, how to run it, how to
  test it, and the configuration it reads.
- The run and test commands in the README MUST work as written on a clean checkout.
- Comments SHOULD explain why, not what. Non-obvious decisions MUST be recorded.

## Reviews

- All changes MUST be reviewed before merging to the main branch.
- PRs SHOULD be small (under about 400 changed lines) and do one thing.
- Review feedback MUST be answered, by a change or by a reason.

## Commit hygiene

- Each commit MUST build and pass tests on its own.
- Commit messages MUST describe what changed and why, in the imperative mood.
- Generated files, build output and local editor files MUST NOT be committed.

## Observability

- Logs MUST be structured (JSON or key=value) with level, timestamp and a
  request or correlation id where one exists.
- Services MUST expose metrics for request rate, errors and latency, and a
  health endpoint.
- Logs and metrics MUST NOT contain secrets or restricted data.

## Configuration

- Configuration MUST come from environment variables or config files, never
  from constants edited in code.
- Every setting MUST have a documented default or fail clearly when absent.
- Secrets are configuration too, but are governed by the security standard.
$std$, 'asgard'),
('security', 1, 'Security standard', $std$# Security standard

This standard applies to all code, configuration and infrastructure an agent
produces. Security requirements override convenience. When in doubt, stop and ask.

## Secrets

- Secrets (passwords, tokens, API keys, private keys, connection strings with
  credentials) MUST NOT appear in code, tests, logs, error messages or commits.
- Secrets MUST be read at runtime from the platform secret store: use Asgard
  `get_secret` and the project's keys; never copy a secret into a file in the repo.
- `.env` files and similar MUST be in `.gitignore`; commit only `.env.example`
  with placeholder values.
- A secret that reached a commit, log or chat MUST be treated as leaked:
  rotate it and report it, even if the commit was reverted.

## Least privilege

- Every service, job and credential MUST have only the permissions it needs.
- Database users MUST NOT be superusers; containers MUST NOT run as root.
- Credentials MUST be scoped to one project and one environment.

## Input validation

- All input crossing a boundary (HTTP, CLI, files, queues, environment, other
  services) MUST be validated for type, size, range and format before use.
- Validation MUST use allow-lists, not block-lists.
- SQL MUST use parameterised queries or a query builder; string concatenation
  of input into SQL, shell commands or file paths is forbidden.
- Output MUST be encoded for its context (HTML, shell, URL) to prevent injection.

## Authentication and authorisation

- Every endpoint MUST require authentication, except those explicitly listed
  as public (for example a health check) in the README.
- Authorisation MUST be checked on every request, on the server, per resource.
- Sessions and tokens MUST expire; passwords MUST be hashed with a vetted
  algorithm (argon2id, bcrypt or scrypt).

## Dependencies and supply chain

- Dependencies MUST be pinned with a committed lock file and come from the
  official registry.
- Known-vulnerable dependencies MUST NOT be introduced; CI SHOULD run a
  vulnerability scan, and high or critical findings block merge.
- Install scripts, curl-pipe-to-shell and unverified binaries MUST NOT be used.

## Cryptography and transport

- Cryptography MUST use vetted libraries and their high-level APIs. Home-made
  crypto, custom ciphers or hand-rolled token formats are forbidden.
- Random values for security MUST come from a cryptographically secure source.
- All network traffic MUST use TLS, including internal service-to-service calls.
  Certificate verification MUST NOT be disabled.

## Data classification

Every data set MUST be classified, and handled as its class allows:

- **Public**: may be published. No restrictions beyond integrity.
- **Internal**: staff only. Not shared outside the organisation.
- **Confidential**: need-to-know. Encrypted at rest and in transit; access logged.
- **Restricted** (personal, financial, health, credentials): as confidential,
  plus never sent to an external LLM or third party, never logged, never used
  in tests or fixtures (use synthetic data), and retained only as long as required.

When the class is unknown, treat data as confidential.

## LLM usage

- All LLM calls MUST go through the governed gateway `/api/gateway/chat`,
  authenticated with the project key.
- Provider SDKs called directly with a raw provider key are forbidden.
- Prompts MUST NOT contain secrets or restricted data.
- LLM output MUST be treated as untrusted input and validated before use.

## Incidents

- A suspected incident (leaked secret, unexpected access, data exposure)
  MUST be reported to the security team immediately, before any cleanup
  that could destroy evidence.
- Do not try to hide or quietly fix an incident.

## Audit

- Security-relevant actions (login, permission changes, secret access, data
  export) MUST be logged with who, what, when and outcome.
- Audit logs MUST be append-only and MUST NOT contain secret values.
$std$, 'asgard'),
('workflow', 1, 'Workflow standard', $std$# Workflow standard

This standard describes how an agent works with Asgard and with the
organisation's repositories. Follow the steps in order for new work.

## 1. Read the standards first

- Before writing code, the agent MUST call `list_standards` and read the
  relevant ones with `get_standards`.
- The engineering and security standards always apply. Re-read them when a
  task changes scope.

## 2. Seed the repository

- New repositories MUST be created from a seed: call `seed_plan` to see what
  will be created, then `seed_get` to fetch it.
- Do not hand-roll a skeleton when a seed exists for the stack.

## 3. Register the project

- The project MUST be registered with `register_project` before anything
  chargeable is requested (services, LLM keys, cloud resources).
- Project ids have the form `proj-YYYY-NNNN`; record the id in the README.

## 4. Request services

- Use `list_services` to see what is offered, then `request_resource` to ask.
- Self-service items are provisioned at once. Review-tier items wait for
  approval: the agent MUST wait, and MUST NOT work around the wait with
  unmanaged resources.
- Do not create infrastructure outside Asgard.

## 5. Credentials and secrets

- Mint the project's LLM key with `gateway_credential`; use it only with the
  governed gateway.
- Read secrets at runtime with `get_secret`. Never print, log or commit them.

## 6. Watch cost

- Check `get_cost` at the start of work and after adding resources.
- Unexpected growth in cost MUST be reported and explained, and unused
  resources released.

## Branches and pull requests

- Work MUST happen on a branch, never directly on the main branch.
- PRs SHOULD be small and focused: one change, reviewable in one sitting.
- CI MUST be green before merge. Do not disable or skip tests to get green.
- The PR description MUST say what changed, why, and how it was tested.

## Commits

- Commit messages MUST be honest: describe what the commit actually does,
  including anything left unfinished or known to be broken.
- Do not claim tests pass, or that something was verified, unless it was.

## Tracking work

- Work MUST be tracked in issues. Link PRs to the issue they address.
- Problems found but not fixed MUST be filed as issues, not left silent.

## Definition of done

A change is done only when all of these hold:

- Tests cover the new behaviour and pass locally and in CI.
- The README and other docs reflect the change.
- It has been run like a user would run it, from a clean checkout, using
  the documented commands, and it works.
- No secrets, debug output or stray files are left behind.
- Cost and resources are as expected.

## Contributing guidance

- Lessons worth sharing SHOULD be contributed back: use `guidance_put` for
  guidance and `recipe_put` for reusable recipes.
- Contributions land as drafts and take effect only after an admin approves.
  Do not rely on a draft as if it were a standard.
$std$, 'asgard');

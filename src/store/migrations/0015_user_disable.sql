-- An administrator can disable a person: their PATs stop authenticating (within the token cache
-- TTL), their dashboard sessions end at once and no sign-in link or SSO sign-in opens a new one.
-- Nothing of theirs is deleted; enabling them again restores it all. Project keys belong to
-- projects, not to people, and keep working.
ALTER TABLE users ADD COLUMN disabled_at timestamptz, ADD COLUMN disabled_by text, ADD COLUMN disabled_reason text;

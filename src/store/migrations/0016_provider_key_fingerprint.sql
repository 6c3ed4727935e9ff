-- What an admin may see of a provider's key: a fingerprint (the first 12 hex digits of its SHA-256),
-- written with the key. The key itself stays sealed and never reaches a browser or a CLI table.
-- Keys stored before this migration show none until they are rotated.
ALTER TABLE providers ADD COLUMN key_fingerprint text;

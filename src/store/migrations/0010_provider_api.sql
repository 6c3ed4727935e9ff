-- A provider speaks one API family: OpenAI-compatible (chat completions, embeddings, responses at
-- its base path) or Anthropic (messages, count_tokens). path stays what it was for OpenAI
-- providers (the chat completions path; the others are its siblings); for Anthropic providers
-- it is the API base (/v1).
ALTER TABLE providers ADD COLUMN api text NOT NULL DEFAULT 'openai' CHECK (api IN ('openai', 'anthropic'));

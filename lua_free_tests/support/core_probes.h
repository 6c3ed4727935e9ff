/* Test-only probes over the C++ core (lua_free_tests/support/core_probes.cpp), for the C unit
 * tests and the fuzz targets. Not part of the production interface src/asgard.h. */
#ifndef ASGARD_CORE_PROBES_H
#define ASGARD_CORE_PROBES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define PROBE_NOEXCEPT noexcept
#else
#define PROBE_NOEXCEPT
#endif

/* The usage a provider's complete answer reports (the gateway's usage meter, fed in chunks of
 * chunk bytes; 0 feeds it whole): returns 1 and the token counts when it found usage, 0 when not;
 * *streamed_chars counts the content it saw, *malformed whether a JSON answer was unreadable. */
int probe_usage(const char *content_type, const char *data, size_t len, size_t chunk,
                int64_t *prompt_tokens, int64_t *completion_tokens, int64_t *streamed_chars,
                int *malformed) PROBE_NOEXCEPT;

/* The gateway's handling of a chat body without a configuration: parse and check it, redact every
 * built-in guardrail finding in every key and string the provider receives, and write it back for the provider
 * model "upstream-model". Returns 1 and the new body, or 0 and why it was refused; *out is
 * NUL-terminated, released with free(). */
int probe_chat_body(const char *body, size_t len, char **out, size_t *out_len) PROBE_NOEXCEPT;

/* A new token of a kind (ASG_CRED_USER: asg_pat_..., ASG_CRED_PROJECT: asg_...) into out
 * (NUL-terminated; 64 bytes are enough). Returns its length, or -1. */
int probe_token_generate(int kind, char *out, size_t cap) PROBE_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* ASGARD_CORE_PROBES_H */

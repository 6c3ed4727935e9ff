// Test-only probes over the C++ core, for the C unit tests and the fuzz targets (never in the
// production header src/asgard.h): the usage meter, the chat body's handling and token generation.
#include "core_probes.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <simdjson.h>

#include "asgard.h"
#include "auth/token_format.hpp"
#include "gateway/chat_body.hpp"
#include "gateway/guardrails.hpp"
#include "gateway/usage_meter.hpp"

using namespace asg;

extern "C" int probe_usage(const char* content_type, const char* data, size_t len, size_t chunk,
                               int64_t* prompt_tokens, int64_t* completion_tokens, int64_t* streamed_chars,
                               int* malformed) noexcept {
    try {
        UsageMeter meter;
        meter.start(200, content_type ? content_type : "");
        if (chunk == 0) chunk = len ? len : 1;
        for (size_t at = 0; at < len; at += chunk) meter.feed(data + at, std::min(chunk, len - at));
        meter.finish();
        *prompt_tokens = meter.prompt_tokens();
        *completion_tokens = meter.completion_tokens();
        *streamed_chars = meter.streamed_chars();
        *malformed = meter.malformed();
        return meter.has_usage() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" int probe_chat_body(const char* body, size_t len, char** out, size_t* out_len) noexcept {
    *out = nullptr;
    *out_len = 0;
    auto give = [&](const std::string& text) {
        *out = static_cast<char*>(std::malloc(text.size() + 1));
        if (*out == nullptr) return;
        std::memcpy(*out, text.data(), text.size() + 1);
        *out_len = text.size();
    };
    try {
        ChatBody parsed;
        std::string error = parse_chat_body(std::string_view(body ? body : "", body ? len : 0), false, parsed);
        if (!error.empty()) {
            give(error);
            return 0;
        }
        // Every built-in detector redacts, over every text of the body, as the gateway scans it.
        const GuardrailRules redact_all{GuardrailAction::redact, GuardrailAction::redact, GuardrailAction::redact,
                                        GuardrailAction::redact};
        BodyScan scan;
        scan_body(parsed, {}, redact_all, scan);
        give(provider_body(std::string_view(body ? body : "", body ? len : 0), parsed, "upstream-model", &scan.redactions));
        return 1;
    } catch (const std::exception& e) {
        give(std::string("internal error: ") + e.what());
        return 0;
    } catch (...) {
        give("internal error");
        return 0;
    }
}

extern "C" int probe_token_generate(int kind, char* out, size_t cap) noexcept {
    try {
        NewToken token = generate_token(kind == ASG_CRED_PROJECT ? TokenKind::project : TokenKind::user);
        if (token.plaintext.size() + 1 > cap) return -1;
        std::memcpy(out, token.plaintext.c_str(), token.plaintext.size() + 1);
        return static_cast<int>(token.plaintext.size());
    } catch (...) {
        return -1;
    }
}


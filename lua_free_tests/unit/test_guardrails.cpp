// Guardrails over a whole chat body: every key and string is read, operator patterns run in RE2
// (NUL-safe, linear time, refused when they do not compile), and the scan's cost stays bounded.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "gateway/chat_body.hpp"
#include "gateway/guardrails.hpp"

// After the C++ headers: cmocka defines fail() and skip() as macros.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

using namespace asg;

namespace {

const GuardrailRules kBlockAll{};
const GuardrailRules kRedactAll{GuardrailAction::redact, GuardrailAction::redact, GuardrailAction::redact, GuardrailAction::redact};

std::vector<CompiledPattern> patterns(std::initializer_list<const char*> list) {
    std::vector<CompiledPattern> out;
    int n = 0;
    for (const char* p : list) out.push_back(compile_pattern("p" + std::to_string(n++), p));
    return out;
}

// Scans body (which must parse) and, with `provider`, writes what the provider would get.
BodyScan scan(const std::string& body, const std::vector<CompiledPattern>& ps, const GuardrailRules& rules,
              std::string* provider = nullptr) {
    ChatBody chat;
    std::string error = parse_chat_body(body, false, chat);
    if (!error.empty()) fail_msg("%s", error.c_str());
    BodyScan out;
    scan_body(chat, ps, rules, out);
    if (provider != nullptr) *provider = provider_body(body, chat, "up", &out.redactions);
    return out;
}

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// "a\u0000 PROJECT-ZEUS-42": regexec read the text up to its NUL; RE2 reads it all.
void a_pattern_matches_past_an_escaped_nul(void**) {
    auto ps = patterns({"project-zeus-[0-9]+"});
    BodyScan s = scan(R"({"messages":[{"role":"user","content":"a\u0000 PROJECT-ZEUS-42"}]})", ps, kBlockAll);
    assert_true(s.blocked.has_value());
    assert_string_equal(s.blocked->detector.c_str(), "patterns");
    assert_string_equal(s.blocked->kind.c_str(), "text matching pattern p0");

    std::string provider;
    scan(R"({"messages":[{"role":"user","content":"a\u0000 PROJECT-ZEUS-42 b"}]})", ps, kRedactAll, &provider);
    assert_string_equal(provider.c_str(), R"({"messages":[{"role":"user","content":"a\u0000 [REDACTED:patterns] b"}]})");
}

// A pattern sees keys and every member, not only the messages' contents.
void patterns_read_keys_and_every_member(void**) {
    auto ps = patterns({"zeus"});
    const char* bodies[] = {
        R"({"messages":[{"role":"user","content":"hi"}],"metadata":{"ZEUS":"1"}})",
        R"({"messages":[{"role":"zeus","content":"hi"}]})",
        R"({"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","description":"zeus"}}]})",
        R"({"messages":[{"role":"user","content":"hi"}],"stop":["zeus"]})",
        R"({"messages":[{"role":"user","content":"hi"}],"user":"zeus"})",
    };
    for (const char* body : bodies) {
        BodyScan s = scan(body, ps, kBlockAll);
        if (!s.blocked) fail_msg("not blocked: %s", body);
    }
    // Not forwarded as sent: the model (replaced), data_class and asgard (removed).
    BodyScan s = scan(R"({"model":"zeus","data_class":"zeus","asgard":{"zeus":"zeus"},"messages":[{"role":"user","content":"hi"}]})",
                      ps, kBlockAll);
    assert_false(s.blocked.has_value());
}

// A rule of allow runs nothing: not even a pattern that does not compile.
void allow_skips_the_detector(void**) {
    GuardrailRules rules = kBlockAll;
    rules.patterns = GuardrailAction::allow;
    rules.email = GuardrailAction::allow;
    auto ps = patterns({"zeus", "a(b"});
    BodyScan s = scan(R"({"messages":[{"role":"user","content":"zeus a@example.com"}]})", ps, rules);
    assert_false(s.blocked.has_value());
    assert_null(s.broken);
}

// A stored pattern RE2 refuses is never skipped silently: the call is refused with RE2's message.
void a_pattern_that_does_not_compile_refuses_the_call(void**) {
    CompiledPattern bad = compile_pattern("bad", "a(b");
    assert_null(bad.regex.get());
    assert_string_equal(bad.error.c_str(), "missing ): a(b");
    assert_false(compile_pattern("backref", "(a)\\1").error.empty());  // POSIX had these; RE2 has not
    auto ps = patterns({"fine", "a(b"});
    BodyScan s = scan(R"({"messages":[{"role":"user","content":"hello"}]})", ps, kBlockAll);
    assert_non_null(s.broken);
    assert_string_equal(s.broken->name.c_str(), "p1");
}

void patterns_are_case_insensitive(void**) {
    auto ps = patterns({"project +falcon"});
    assert_true(scan(R"({"messages":[{"role":"user","content":"status of Project   FALCON"}]})", ps, kBlockAll).blocked.has_value());
    assert_false(scan(R"({"messages":[{"role":"user","content":"status of project eagle"}]})", ps, kBlockAll).blocked.has_value());
}

// Issue 14 item 5: `password[^\n]*=` over 100 KB of "password " took regexec 2.2 s.
void a_pattern_glibc_ran_in_quadratic_time_runs_in_linear_time(void**) {
    std::string text;
    while (text.size() < 100 * 1024) text += "password ";
    std::string body = R"({"messages":[{"role":"user","content":")" + text + R"("}]})";
    auto ps = patterns({"password[^\\n]*="});
    for (const GuardrailRules* rules : {&kBlockAll, &kRedactAll}) {
        auto start = std::chrono::steady_clock::now();
        BodyScan s = scan(body, ps, *rules);
        double ms = ms_since(start);
        std::printf("# 100 KB of \"password \", %s: %.2f ms\n", rules == &kBlockAll ? "block" : "redact", ms);
        assert_false(s.blocked.has_value());
        assert_true(ms < 500);  // regexec: 2,200 ms; RE2: well under 10 ms
    }
}

// A pattern with a match at every byte, each needing a look to the end of the text to decide:
// searching again after each match would be quadratic; past the budget the rest is redacted whole.
void redacting_many_matches_is_bounded(void**) {
    std::string text(1 << 20, 'a');
    std::string body = R"({"messages":[{"role":"user","content":")" + text + R"("}]})";
    auto ps = patterns({"a[^\\n]*z|a"});
    std::string provider;
    auto start = std::chrono::steady_clock::now();
    scan(body, ps, kRedactAll, &provider);
    double ms = ms_since(start);
    std::printf("# 1 MB of matches to redact: %.1f ms\n", ms);
    assert_true(ms < 5000);
    assert_true(provider.find("aa") == std::string::npos);  // nothing that matched reached the provider
    assert_true(provider.find("[REDACTED:patterns]") != std::string::npos);
}

// The largest body the stack accepts (asgard_max_body_size 4m), a few patterns, every detector.
void a_4_mb_body_is_scanned_in_bounded_time(void**) {
    std::string body = R"({"messages":[)";
    std::string chunk = "Lorem ipsum dolor sit amet, password consectetur = adipiscing 4111 elit @ sed do; ";
    for (int m = 0; body.size() < (4u << 20) - 4096; ++m) {
        if (m) body += ',';
        body += R"({"role":"user","content":")";
        for (int i = 0; i < 100; ++i) body += chunk;
        body += R"("})";
    }
    body += "]}";
    auto ps = patterns({"password[^\\n]*=", "project[- _]?(zeus|falcon)-[0-9]+", "\\b[0-9]{3}-[0-9]{2}-[0-9]{4}\\b",
                        "(secret|confidential)[^.]{0,40}internal"});
    GuardrailRules rules = kRedactAll;
    rules.patterns = GuardrailAction::block;  // the pattern "password...=" matches: block stops at the first text
    auto nomatch = patterns({"project[- _]?(zeus|falcon)-[0-9]+", "\\b[0-9]{3}-[0-9]{2}-[0-9]{4}\\b",
                             "(secret|confidential)[^.]{0,40}internal", "zz[0-9]+zz"});
    auto start = std::chrono::steady_clock::now();
    BodyScan s = scan(body, nomatch, rules);
    double ms = ms_since(start);
    std::printf("# 4 MB body, built-in detectors and 4 patterns, no match: %.1f ms (%zu bytes of text)\n", ms, s.scanned_bytes);
    assert_false(s.blocked.has_value());
    assert_true(ms < 5000);
    start = std::chrono::steady_clock::now();
    s = scan(body, ps, kRedactAll);
    ms = ms_since(start);
    std::printf("# 4 MB body, 4 patterns to redact (one matching every text): %.1f ms\n", ms);
    assert_true(ms < 5000);
    assert_true(s.redactions.strings.size() > 100);
}

// Overlapping findings are redacted to the end of the longest.
// Cards as they are written are found; digit runs in other shapes that happen to pass Luhn are not
// (an agent's context is full of dates and numbered lists: Codex was once refused for one).
void cards_are_found_in_card_shapes_only(void**) {
    auto blocked = [](const std::string& text) {
        return scan(R"({"messages":[{"role":"user","content":")" + text + R"("}]})", {}, kBlockAll).blocked.has_value();
    };
    assert_true(blocked("pay with 4111 1111 1111 1111"));
    assert_true(blocked("pay with 4111-1111-1111-1111 12/26"));
    assert_true(blocked("pay with 4111 1111 1111 1111 2027"));
    assert_true(blocked("pay with 4111111111111111"));
    assert_true(blocked("amex 3782 822463 10005"));
    assert_false(blocked("changes between 2026-12-01 2026-12-03"));   // 2026120120261203 passes Luhn
    assert_false(blocked("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"));         // 4111111111111111, one digit a group
    assert_false(blocked("4111 11 11 1111 1111"));
}

void overlapping_findings_leave_nothing_behind(void**) {
    std::vector<Finding> findings = {{"patterns", "", 0, 10}, {"secrets", "", 5, 20}};
    assert_string_equal(redact("0123456789abcdefghijKL", findings).c_str(), "[REDACTED:patterns]KL");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_pattern_matches_past_an_escaped_nul),
        cmocka_unit_test(patterns_read_keys_and_every_member),
        cmocka_unit_test(allow_skips_the_detector),
        cmocka_unit_test(a_pattern_that_does_not_compile_refuses_the_call),
        cmocka_unit_test(patterns_are_case_insensitive),
        cmocka_unit_test(a_pattern_glibc_ran_in_quadratic_time_runs_in_linear_time),
        cmocka_unit_test(redacting_many_matches_is_bounded),
        cmocka_unit_test(a_4_mb_body_is_scanned_in_bounded_time),
        cmocka_unit_test(overlapping_findings_leave_nothing_behind),
        cmocka_unit_test(cards_are_found_in_card_shapes_only),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}

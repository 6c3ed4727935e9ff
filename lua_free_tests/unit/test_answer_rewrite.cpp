// The client's view of a chat answer: the top-level "model" becomes the alias asked for (nested
// "model" members, strings that look like one and escapes are left alone), and a stream's usage
// chunk is dropped with its blank line unless asked for, however the bytes are cut.
#include <string>

#include "gateway/answer_rewrite.hpp"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so; after C++'s (its macros)
#include <cmocka.h>
}

namespace {

std::string with_model(const std::string& json, const std::string& alias) {
    std::string out;
    if (!asg::append_with_model(json, alias, out)) return "(unchanged)";
    return out;
}

void replaces_only_the_top_level_model(void**) {
    assert_string_equal(with_model(R"({"id":"x","model":"demo-gpt-5","choices":[]})", "model:default/gpt-5").c_str(),
                        R"({"id":"x","model":"model:default/gpt-5","choices":[]})");
    // A nested "model" first, a string holding "model": the top-level member is the one replaced.
    assert_string_equal(
        with_model(R"({ "meta" : {"model":"inner"}, "note":"\"model\":\"x\"", "model" : "up" , "n":[1,{"model":2}]})", "a\"b").c_str(),
        R"({ "meta" : {"model":"inner"}, "note":"\"model\":\"x\"", "model" : "a\"b" , "n":[1,{"model":2}]})");
    assert_string_equal(with_model(R"({"id":"x"})", "m").c_str(), "(unchanged)");
    // Stream events that carry the object: the Responses API's and Anthropic's.
    assert_string_equal(with_model(R"({"type":"response.completed","response":{"id":"r","model":"up","usage":{}}})", "m").c_str(),
                        R"({"type":"response.completed","response":{"id":"r","model":"m","usage":{}}})");
    assert_string_equal(with_model(R"({"type":"message_start","message":{"model":"up","usage":{"input_tokens":1}}})", "m").c_str(),
                        R"({"type":"message_start","message":{"model":"m","usage":{"input_tokens":1}}})");
    assert_string_equal(with_model(R"({"type":"content_block_delta","delta":{"text":"model"}})", "m").c_str(), "(unchanged)");
    assert_string_equal(with_model(R"({"model":null})", "m").c_str(), "(unchanged)");
    assert_string_equal(with_model(R"([{"model":"x"}])", "m").c_str(), "(unchanged)");
    assert_string_equal(with_model(R"({"model":"unterminated)", "m").c_str(), "(unchanged)");
    assert_string_equal(with_model("", "m").c_str(), "(unchanged)");
}

const char kStream[] =
    "data: {\"id\":\"c\",\"model\":\"up\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n"
    "data: {\"id\":\"c\",\"model\":\"up\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
    "data: {\"id\":\"c\",\"model\":\"up\",\"choices\":[ ],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

std::string rewritten(bool pass_usage, std::size_t cut) {
    asg::StreamRewriter rw;
    rw.start("alias/x", pass_usage);
    std::string in(kStream), out;
    for (std::size_t at = 0; at < in.size(); at += cut) rw.feed(in.data() + at, std::min(cut, in.size() - at), out);
    rw.finish(out);
    return out;
}

void drops_the_usage_chunk_unless_asked_at_any_cut(void**) {
    const std::string dropped =
        "data: {\"id\":\"c\",\"model\":\"alias/x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n"
        "data: {\"id\":\"c\",\"model\":\"alias/x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
        "data: [DONE]\n\n";
    const std::string kept =
        "data: {\"id\":\"c\",\"model\":\"alias/x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n"
        "data: {\"id\":\"c\",\"model\":\"alias/x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
        "data: {\"id\":\"c\",\"model\":\"alias/x\",\"choices\":[ ],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n"
        "data: [DONE]\n\n";
    for (std::size_t cut = 1; cut <= sizeof kStream; ++cut) {
        assert_string_equal(rewritten(false, cut).c_str(), dropped.c_str());
        assert_string_equal(rewritten(true, cut).c_str(), kept.c_str());
    }
}

void keeps_other_lines_and_a_last_line_without_newline(void**) {
    asg::StreamRewriter rw;
    rw.start("m", false);
    std::string out;
    const std::string in = ": keep-alive\r\nevent: x\r\ndata:{\"model\":\"up\",\"choices\":[{}]}\r\n\r\ndata: not json\n\ndata: {\"model\":\"up\"}";
    rw.feed(in.data(), in.size(), out);
    rw.finish(out);
    assert_string_equal(out.c_str(),
                        ": keep-alive\r\nevent: x\r\ndata:{\"model\":\"m\",\"choices\":[{}]}\r\n\r\ndata: not json\n\ndata: {\"model\":\"m\"}");
}

void passes_a_line_too_long_to_hold_as_it_is(void**) {
    asg::StreamRewriter rw;
    rw.start("m", false);
    std::string line = "data: {\"model\":\"up\",\"x\":\"" + std::string(2 * 1024 * 1024, 'a') + "\"}\n";
    std::string out;
    for (std::size_t at = 0; at < line.size(); at += 65536) rw.feed(line.data() + at, std::min<std::size_t>(65536, line.size() - at), out);
    std::string next = "data: {\"model\":\"up\"}\n";
    rw.feed(next.data(), next.size(), out);
    rw.finish(out);
    assert_true(out == line + "data: {\"model\":\"m\"}\n");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replaces_only_the_top_level_model),
        cmocka_unit_test(drops_the_usage_chunk_unless_asked_at_any_cut),
        cmocka_unit_test(keeps_other_lines_and_a_last_line_without_newline),
        cmocka_unit_test(passes_a_line_too_long_to_hold_as_it_is),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}

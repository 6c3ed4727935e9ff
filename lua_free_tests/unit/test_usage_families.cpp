// Usage is read in each API family's shape: embeddings (input only), the Responses API (plain,
// and its response.completed event), Anthropic's messages (plain with cache reads and writes,
// and message_start + message_delta when streaming; message_start alone is not the final count).
#include <string>

#include "gateway/usage_meter.hpp"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so; after C++'s (its macros)
#include <cmocka.h>
}

namespace {

asg::UsageMeter metered(asg::Route route, const char* type, const std::string& body) {
    asg::UsageMeter m;
    m.expect(route);
    m.start(200, type);
    for (std::size_t at = 0; at < body.size(); at += 7) m.feed(body.data() + at, std::min<std::size_t>(7, body.size() - at));
    m.finish();
    return m;
}

void embeddings_count_input_only(void**) {
    auto m = metered(asg::Route::embeddings, "application/json",
                     R"({"object":"list","data":[],"model":"e","usage":{"prompt_tokens":12,"total_tokens":12}})");
    assert_true(m.has_usage());
    assert_int_equal(m.prompt_tokens(), 12);
    assert_int_equal(m.completion_tokens(), 0);
    // A chat answer without completion_tokens has no usage: its output is unknown.
    auto chat = metered(asg::Route::chat, "application/json", R"({"choices":[],"usage":{"prompt_tokens":12}})");
    assert_false(chat.has_usage());
}

void responses_plain_and_streamed(void**) {
    auto plain = metered(asg::Route::responses, "application/json",
                         R"({"object":"response","output":[],"usage":{"input_tokens":5,"output_tokens":9,"total_tokens":14}})");
    assert_true(plain.has_usage());
    assert_int_equal(plain.prompt_tokens(), 5);
    assert_int_equal(plain.completion_tokens(), 9);
    auto streamed = metered(asg::Route::responses, "text/event-stream",
                            "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"usage\":null}}\n\n"
                            "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hello there\"}\n\n"
                            "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":4,\"output_tokens\":3}}}\n\n");
    assert_true(streamed.has_usage());
    assert_int_equal(streamed.prompt_tokens(), 4);
    assert_int_equal(streamed.completion_tokens(), 3);
    assert_int_equal(streamed.streamed_chars(), 11);
}

void anthropic_plain_and_streamed(void**) {
    auto plain = metered(asg::Route::messages, "application/json",
                         R"({"type":"message","content":[],"usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":20,"output_tokens":7}})");
    assert_true(plain.has_usage());
    assert_int_equal(plain.prompt_tokens(), 35);
    assert_int_equal(plain.completion_tokens(), 7);
    const std::string start =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":8,\"output_tokens\":1}}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi you\"}}\n\n";
    auto cut = metered(asg::Route::messages, "text/event-stream", start);
    assert_false(cut.has_usage());  // message_start's output count is not the final one
    assert_int_equal(cut.streamed_chars(), 6);
    auto whole = metered(asg::Route::messages, "text/event-stream",
                         start + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":13}}\n\n");
    assert_true(whole.has_usage());
    assert_int_equal(whole.prompt_tokens(), 8);
    assert_int_equal(whole.completion_tokens(), 13);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embeddings_count_input_only),
        cmocka_unit_test(responses_plain_and_streamed),
        cmocka_unit_test(anthropic_plain_and_streamed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}

// Incremental usage extraction with simdjson; bounded memory (JSON bodies up to 4 MiB, SSE by line).
#include "gateway/usage_meter.hpp"

#include <strings.h>

#include <optional>

#include <simdjson.h>

#include "asgard.h"

namespace asg {

static constexpr std::size_t kMaxJsonBody = ASG_GATEWAY_MAX_HELD_ANSWER;  // the glue holds as much
static constexpr std::size_t kMaxSseLine = 1024 * 1024;

void UsageMeter::start(int http_status, std::string_view content_type) {
    status_ = http_status;
    sse_ = content_type.size() >= 17 && strncasecmp(content_type.data(), "text/event-stream", 17) == 0;
    // Most answers fit, with simdjson's padding behind them, and within malloc's per-thread cache
    // (chunks up to about 1 KiB).
    buffer_.reserve(sse_ ? 512 : 960);
}

namespace dom = simdjson::dom;

namespace {

dom::parser& usage_parser() {
    thread_local dom::parser parser;
    return parser;
}

}  // namespace

// One JSON document (a whole answer, or one SSE data line): its "usage" and the content it carries.
// `buffer` holds the text at `at` and has simdjson's padding of spare capacity behind it.
void UsageMeter::take_usage(std::string& buffer, std::size_t at) {
    std::size_t len = buffer.size() - at;
    buffer.reserve(buffer.size() + simdjson::SIMDJSON_PADDING);
    dom::element doc;
    if (usage_parser().parse(buffer.data() + at, len, false).get(doc)) {
        if (!sse_) malformed_ = true;
        return;
    }
    // One pass over the members (the first of a name counts, as a look-up would find it).
    dom::object object;
    if (doc.get_object().get(object)) {
        if (!sse_) malformed_ = true;  // a chat completion is an object
        return;
    }
    std::optional<dom::element> usage_member, choices_member, response_member, message_member, delta_member;
    for (dom::key_value_pair field : object) {
        if (!usage_member && field.key == "usage") usage_member = field.value;
        else if (!choices_member && field.key == "choices") choices_member = field.value;
        else if (!response_member && field.key == "response") response_member = field.value;
        else if (!message_member && field.key == "message") message_member = field.value;
        else if (!delta_member && field.key == "delta") delta_member = field.value;
    }
    dom::object usage, nested;
    if (usage_member && !usage_member->get_object().get(usage)) {
        read_usage(usage, false);
    } else if (response_member && !response_member->get_object().get(nested) && !nested["usage"].get_object().get(usage)) {
        read_usage(usage, false);  // the Responses API's response.completed event
    } else if (message_member && !message_member->get_object().get(nested) && !nested["usage"].get_object().get(usage)) {
        read_usage(usage, true);  // Anthropic's message_start: its output count is not the final one
    }
    if (delta_member) {
        // Streamed text: a Responses output_text delta (a string), an Anthropic text delta.
        std::string_view text;
        if (!delta_member->get_string().get(text) || !(*delta_member)["text"].get_string().get(text))
            streamed_chars_ += static_cast<std::int64_t>(text.size());
    }
    dom::array choices;
    if (!choices_member || choices_member->get_array().get(choices)) return;
    for (dom::element choice : choices) {
        std::string_view content;
        if (!choice[sse_ ? "delta" : "message"]["content"].get_string().get(content))
            streamed_chars_ += static_cast<std::int64_t>(content.size());
    }
}

// One usage object: the input count (prompt_tokens; input_tokens plus Anthropic's cache reads and
// writes) and the output count (completion_tokens or output_tokens), each where it is given.
void UsageMeter::read_usage(dom::object usage, bool input_only) {
    std::int64_t value = -1, prompt = -1, completion = -1;
    if (!usage["prompt_tokens"].get_int64().get(value) && value >= 0) prompt = value;
    if (!usage["input_tokens"].get_int64().get(value) && value >= 0) {
        prompt = value;
        for (const char* cache : {"cache_creation_input_tokens", "cache_read_input_tokens"})
            if (!usage[cache].get_int64().get(value) && value > 0) prompt += value;
    }
    if (!input_only) {
        if (!usage["completion_tokens"].get_int64().get(value) && value >= 0) completion = value;
        if (!usage["output_tokens"].get_int64().get(value) && value >= 0) completion = value;
    }
    if (prompt >= 0) {
        prompt_tokens_ = prompt;
        has_prompt_ = true;
    }
    if (completion >= 0) {
        completion_tokens_ = completion;
        has_completion_ = true;
    }
    has_usage_ = has_prompt_ && (has_completion_ || !output_expected_);
}

void UsageMeter::sse_line(std::string& line) {
    if (line.compare(0, 5, "data:") != 0) return;
    std::size_t start = line.find_first_not_of(' ', 5);
    if (start == std::string::npos || line.compare(start, 6, "[DONE]") == 0) return;
    take_usage(line, start);
}

void UsageMeter::feed(const char* data, std::size_t len) {
    if (sse_) {
        for (std::size_t i = 0; i < len; ++i) {
            char c = data[i];
            if (c == '\n') {
                if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();
                if (!overflow_) sse_line(buffer_);
                buffer_.clear();
                overflow_ = false;
            } else if (buffer_.size() < kMaxSseLine) {
                buffer_.push_back(c);
            } else {
                overflow_ = true;
            }
        }
        return;
    }
    if (buffer_.size() + len > kMaxJsonBody) {
        overflow_ = true;
        return;
    }
    buffer_.append(data, len);
}

// A whole JSON answer is parsed (and so checked) in full; a stream's last line may lack its newline.
void UsageMeter::finish() {
    if (finished_) return;
    finished_ = true;
    if (sse_) {
        if (!buffer_.empty() && !overflow_) sse_line(buffer_);
    } else if (status_ >= 200 && status_ < 300) {
        if (overflow_) {
            malformed_ = true;
        } else {
            take_usage(buffer_, 0);
        }
        return;  // the whole answer stays readable (answer())
    }
    buffer_.clear();
}

}  // namespace asg

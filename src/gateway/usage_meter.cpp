// Incremental usage extraction with jansson; bounded memory (JSON bodies up to 4 MiB, SSE by line).
#include "gateway/usage_meter.hpp"

#include <strings.h>

#include "util/json_ptr.hpp"

namespace asg {

static constexpr std::size_t kMaxJsonBody = 4 * 1024 * 1024;
static constexpr std::size_t kMaxSseLine = 1024 * 1024;

void UsageMeter::start(int http_status, const std::string& content_type) {
    status_ = http_status;
    sse_ = strncasecmp(content_type.c_str(), "text/event-stream", 17) == 0;
}

void UsageMeter::take_usage(const char* json, std::size_t len) {
    json_error_t error;
    Json doc = json_own(json_loadb(json, len, 0, &error));
    if (!doc) {
        if (!sse_) malformed_ = true;
        return;
    }
    json_t* usage = json_object_get(doc.get(), "usage");
    if (json_is_object(usage)) {
        json_t* p = json_object_get(usage, "prompt_tokens");
        json_t* c = json_object_get(usage, "completion_tokens");
        if (json_is_integer(p) && json_is_integer(c) && json_integer_value(p) >= 0 && json_integer_value(c) >= 0) {
            prompt_tokens_ = json_integer_value(p);
            completion_tokens_ = json_integer_value(c);
            has_usage_ = true;
        }
    }
    std::size_t i;
    json_t* choice;
    json_array_foreach(json_object_get(doc.get(), "choices"), i, choice) {
        json_t* delta = json_object_get(choice, sse_ ? "delta" : "message");
        json_t* content = json_object_get(delta, "content");
        if (json_is_string(content)) streamed_chars_ += static_cast<std::int64_t>(json_string_length(content));
    }
}

void UsageMeter::sse_line(const std::string& line) {
    if (line.compare(0, 5, "data:") != 0) return;
    std::size_t start = line.find_first_not_of(' ', 5);
    if (start == std::string::npos || line.compare(start, 6, "[DONE]") == 0) return;
    take_usage(line.data() + start, line.size() - start);
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

// A whole JSON answer: read just its "usage" object when the body is well-formed JSON; the full
// parse (for malformed bodies and streamed-content counting) only when that fails.
void UsageMeter::finish() {
    if (sse_) {
        if (!buffer_.empty() && !overflow_) sse_line(buffer_);
    } else if (status_ >= 200 && status_ < 300) {
        if (overflow_) {
            malformed_ = true;
        } else if (!take_usage_object()) {
            take_usage(buffer_.data(), buffer_.size());
        }
    }
    buffer_.clear();
}

bool UsageMeter::take_usage_object() {
    std::size_t key = buffer_.rfind("\"usage\"");
    std::size_t end = buffer_.find_last_not_of(" \t\r\n");
    if (key == std::string::npos || end == std::string::npos || buffer_[end] != '}' || buffer_[0] != '{') return false;
    std::size_t colon = buffer_.find_first_not_of(" \t\r\n", key + 7);
    if (colon == std::string::npos || buffer_[colon] != ':') return false;
    std::size_t start = buffer_.find_first_not_of(" \t\r\n", colon + 1);
    if (start == std::string::npos || buffer_[start] != '{') return false;
    json_error_t error;
    Json usage = json_own(json_loadb(buffer_.data() + start, buffer_.size() - start, JSON_DISABLE_EOF_CHECK, &error));
    json_t* p = json_object_get(usage.get(), "prompt_tokens");
    json_t* c = json_object_get(usage.get(), "completion_tokens");
    if (!json_is_integer(p) || !json_is_integer(c) || json_integer_value(p) < 0 || json_integer_value(c) < 0) return false;
    prompt_tokens_ = json_integer_value(p);
    completion_tokens_ = json_integer_value(c);
    has_usage_ = true;
    return true;
}

}  // namespace asg

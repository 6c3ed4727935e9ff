// Unit tests' Redis replies: a reply as hiredis parses it from wire bytes (include after cmocka.h).
#pragma once
#include <hiredis/hiredis.h>

#include <string>

struct WireReply {
    redisReply* reply = nullptr;
    explicit WireReply(const std::string& wire) {
        redisReader* reader = redisReaderCreate();
        redisReaderFeed(reader, wire.data(), wire.size());
        void* out = nullptr;
        assert_int_equal(redisReaderGetReply(reader, &out), REDIS_OK);
        assert_non_null(out);
        reply = static_cast<redisReply*>(out);
        redisReaderFree(reader);
    }
    ~WireReply() { freeReplyObject(reply); }
    WireReply(const WireReply&) = delete;
    WireReply& operator=(const WireReply&) = delete;
};

// A blocking hiredis connection for pool threads and the CLI (never on the event loop).
#pragma once
#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace asg {

struct RedisError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class RedisReply {
public:
    explicit RedisReply(redisReply* r) : reply_(r) {}
    const redisReply* operator->() const { return reply_.get(); }

private:
    struct Free {
        void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
    };
    std::unique_ptr<redisReply, Free> reply_;
};

class RedisConnection {
public:
    RedisConnection(const std::string& host, int port, long timeout_ms);
    RedisReply command(const std::vector<std::string>& argv);
    // Sends every command, then reads every reply: one round trip.
    std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
    bool healthy() const { return ctx_ && ctx_->err == 0; }

private:
    struct Free {
        void operator()(redisContext* c) const noexcept { redisFree(c); }
    };
    std::unique_ptr<redisContext, Free> ctx_;
};

// The calling thread's connection to the configured Redis (made on first use, remade if lost).
RedisConnection& thread_redis();

}  // namespace asg

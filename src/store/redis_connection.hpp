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
    const redisReply* get() const { return reply_.get(); }

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
    // Sends every command, then reads every reply (one round trip), even after an error reply,
    // so that no reply is left for the next use; then throws the first error reply, if any.
    std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
    // No error so far, nothing unread or unsent, and the server has not closed the socket (a
    // restarted Redis closes every connection: the next command on it would fail).
    bool healthy() const;
    // Closes the connection (healthy() is false from then on): for a caller that leaves it in a
    // state the next user must not inherit (WATCH or MULTI pending).
    void drop() noexcept { ctx_.reset(); }

private:
    struct Free {
        void operator()(redisContext* c) const noexcept { redisFree(c); }
    };
    std::unique_ptr<redisContext, Free> ctx_;
};

// The calling thread's connection to the configured Redis: made on first use (within
// asgard_io_timeout), remade whenever it is no longer healthy(), e.g. after Redis restarted.
RedisConnection& thread_redis();

}  // namespace asg

// hiredis connection with timeouts; binary-safe argv commands.
#include "store/redis_connection.hpp"

#include <sys/time.h>

#include "config/runtime_config.hpp"

namespace asg {

RedisConnection::RedisConnection(const std::string& host, int port, long timeout_ms) {
    struct timeval tv {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ctx_.reset(redisConnectWithTimeout(host.c_str(), port, tv));
    if (!ctx_) throw RedisError("cannot connect to Redis: out of memory");
    if (ctx_->err)
        throw RedisError("cannot connect to Redis at " + host + ":" + std::to_string(port) + ": " +
                         ctx_->errstr);
    redisSetTimeout(ctx_.get(), tv);
}

RedisReply RedisConnection::command(const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
    }
    void* raw = redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), args.data(), lens.data());
    if (raw == nullptr) throw RedisError(std::string("Redis command failed: ") + ctx_->errstr);
    RedisReply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR)
        throw RedisError(std::string("Redis error: ") + std::string(reply->str, reply->len));
    return reply;
}

std::vector<RedisReply> RedisConnection::pipeline(const std::vector<std::vector<std::string>>& commands) {
    for (const auto& argv : commands) {
        std::vector<const char*> args;
        std::vector<size_t> lens;
        for (const auto& a : argv) {
            args.push_back(a.data());
            lens.push_back(a.size());
        }
        if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK)
            throw RedisError(std::string("Redis command failed: ") + ctx_->errstr);
    }
    std::vector<RedisReply> replies;
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr)
            throw RedisError(std::string("Redis command failed: ") + ctx_->errstr);
        replies.emplace_back(static_cast<redisReply*>(raw));
        if (replies.back()->type == REDIS_REPLY_ERROR)
            throw RedisError(std::string("Redis error: ") + std::string(replies.back()->str, replies.back()->len));
    }
    return replies;
}

RedisConnection& thread_redis() {
    thread_local std::unique_ptr<RedisConnection> connection;
    if (!connection || !connection->healthy()) {
        connection.reset();
        auto config = runtime_config();
        connection = std::make_unique<RedisConnection>(config->redis_host, config->redis_port,
                                                       static_cast<long>(config->io_timeout_ms));
    }
    return *connection;
}

}  // namespace asg

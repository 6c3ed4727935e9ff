// hiredis connection with timeouts; binary-safe argv commands.
#include "store/redis_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

#include "config/runtime_config.hpp"

namespace asg {

namespace {

struct Argv {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    explicit Argv(const std::vector<std::string>& argv) {
        for (const auto& a : argv) {
            args.push_back(a.data());
            lens.push_back(a.size());
        }
    }
    int count() const { return static_cast<int>(args.size()); }
};

std::string error_text(const redisReply* reply) { return std::string("Redis error: ") + std::string(reply->str, reply->len); }

}  // namespace

RedisConnection::RedisConnection(const std::string& host, int port, long timeout_ms) {
    struct timeval tv {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ctx_.reset(redisConnectWithTimeout(host.c_str(), port, tv));
    if (!ctx_) throw RedisError("cannot connect to Redis: out of memory");
    if (ctx_->err)
        throw RedisError("cannot connect to Redis at " + host + ":" + std::to_string(port) + ": " +
                         ctx_->errstr);
    redisSetTimeout(ctx_.get(), tv);
}

bool RedisConnection::healthy() const {
    if (!ctx_ || ctx_->err != 0 || ctx_->fd < 0) return false;
    if (sdslen(ctx_->obuf) > 0) return false;                            // commands never sent
    if (ctx_->reader != nullptr && ctx_->reader->pos < ctx_->reader->len) return false;  // replies never read
    struct pollfd p {ctx_->fd, POLLIN, 0};
    int ready = poll(&p, 1, 0);
    if (ready == 0) return true;  // idle, as it should be
    if (ready < 0) return errno == EINTR;
    // Readable while idle: either the server closed it (EOF, error) or bytes nobody asked for.
    return false;
}

RedisReply RedisConnection::command(const std::vector<std::string>& argv) {
    if (!ctx_) throw RedisError("Redis command failed: the connection was closed");
    Argv a(argv);
    void* raw = redisCommandArgv(ctx_.get(), a.count(), a.args.data(), a.lens.data());
    if (raw == nullptr) throw RedisError(std::string("Redis command failed: ") + ctx_->errstr);
    RedisReply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) throw RedisError(error_text(reply.get()));
    return reply;
}

std::vector<RedisReply> RedisConnection::pipeline(const std::vector<std::vector<std::string>>& commands) {
    if (!ctx_) throw RedisError("Redis command failed: the connection was closed");
    for (const auto& argv : commands) {
        Argv a(argv);
        if (redisAppendCommandArgv(ctx_.get(), a.count(), a.args.data(), a.lens.data()) != REDIS_OK) {
            drop();  // some commands may be buffered: never send them with a later command
            throw RedisError("Redis command failed: cannot buffer a command");
        }
    }
    std::vector<RedisReply> replies;
    replies.reserve(commands.size());
    const redisReply* first_error = nullptr;
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
            std::string why = ctx_->errstr;
            drop();  // replies may still be on their way: nobody may read them as theirs
            throw RedisError("Redis command failed: " + why);
        }
        replies.emplace_back(static_cast<redisReply*>(raw));
        if (first_error == nullptr && replies.back()->type == REDIS_REPLY_ERROR) first_error = replies.back().get();
    }
    if (first_error != nullptr) throw RedisError(error_text(first_error));
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

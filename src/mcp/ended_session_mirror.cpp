// Hash asgard:{mcp-sessions}:ended: field <hex sha256 of a session id> = "1" per ended session,
// field "generation" = how many endings it holds completely (see the header's invariant).
#include "mcp/ended_session_mirror.hpp"

#include <time.h>

#include <charconv>

namespace asg {

namespace {

const std::string kHash = "asgard:{mcp-sessions}:ended";
const std::string kRebuildLock = "asgard:{mcp-sessions}:rebuild";
const std::string kGenerationField = "generation";

std::optional<std::int64_t> generation_of(const redisReply* r) {
    if (r->type == REDIS_REPLY_NIL) return std::nullopt;
    std::int64_t value = 0;
    if (r->type != REDIS_REPLY_STRING || std::from_chars(r->str, r->str + r->len, value).ec != std::errc() ||
        value < 0)
        throw RedisError("unexpected value of the ended sessions' generation in Redis");
    return value;
}

}  // namespace

MirrorAnswer mirror_lookup(RedisConnection& redis, const Digest& key) {
    auto reply = redis.command({"HMGET", kHash, to_hex(as_view(key)), kGenerationField});
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) throw RedisError("unexpected reply to HMGET");
    const redisReply* ended = reply->element[0];
    if (ended->type != REDIS_REPLY_STRING && ended->type != REDIS_REPLY_NIL) throw RedisError("unexpected reply to HMGET");
    MirrorAnswer answer;
    answer.ended = ended->type == REDIS_REPLY_STRING;
    answer.complete_through = generation_of(reply->element[1]);
    return answer;
}

void mirror_add(RedisConnection& redis, const Digest& key, std::int64_t generation) {
    std::string field = to_hex(as_view(key));
    try {
        for (int attempt = 0; attempt < 20; ++attempt) {
            redis.command({"WATCH", kHash});
            std::optional<std::int64_t> through = generation_of(redis.command({"HGET", kHash, kGenerationField}).get());
            if (through && *through >= generation) {  // a rebuild read it from PostgreSQL already
                redis.command({"UNWATCH"});
                return;
            }
            if (through && *through == generation - 1) {
                auto replies = redis.pipeline(
                    {{"MULTI"}, {"HSET", kHash, field, "1", kGenerationField, std::to_string(generation)}, {"EXEC"}});
                const redisReply* exec = replies.back().get();
                if (exec->type == REDIS_REPLY_ARRAY) {
                    if (exec->elements != 1 || exec->element[0]->type != REDIS_REPLY_INTEGER)
                        throw RedisError("unexpected reply to HSET of an ended session");
                    return;
                }
                continue;  // EXEC gave nil: the hash changed since WATCH; look again
            }
            redis.command({"UNWATCH"});
            if (through && attempt < 19) {
                // An ending numbered before this one is still on its way to Redis: give it a moment.
                struct timespec pause {0, 1000000};
                nanosleep(&pause, nullptr);
                continue;
            }
            // No generation (Redis lost the mirror), or an earlier ending never arrived: the ending
            // goes in and the generation stays behind, so checks ask PostgreSQL until a rebuild.
            redis.command({"HSET", kHash, field, "1"});
            return;
        }
        redis.command({"HSET", kHash, field, "1"});
    } catch (...) {
        redis.drop();  // a WATCH or MULTI may be pending on it
        throw;
    }
}

bool mirror_claim_rebuild(RedisConnection& redis) {
    return redis.command({"SET", kRebuildLock, "1", "NX", "PX", "5000"})->type == REDIS_REPLY_STATUS;
}

void mirror_rebuild(RedisConnection& redis, std::int64_t generation, const std::vector<std::string>& hex_keys) {
    std::vector<std::vector<std::string>> commands = {{"MULTI"}, {"DEL", kHash}};
    std::vector<std::string> hset = {"HSET", kHash, kGenerationField, std::to_string(generation)};
    for (const auto& field : hex_keys) {
        hset.push_back(field);
        hset.push_back("1");
        if (hset.size() >= 2002) {
            commands.push_back(std::move(hset));
            hset = {"HSET", kHash};
        }
    }
    if (hset.size() > 2) commands.push_back(std::move(hset));
    commands.push_back({"EXEC"});
    commands.push_back({"DEL", kRebuildLock});
    redis.pipeline(commands);
}

}  // namespace asg

// The blocking Redis connection never hands one command's reply to another: a pipeline reads
// every reply even after an error reply, and a connection the server closed, or one with bytes
// nobody asked for, is no longer healthy(). Against a scripted fake Redis on a loopback socket.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "store/redis_connection.hpp"

using asg::RedisConnection;
using asg::RedisError;

namespace {

// One client at a time; each command (a RESP array of bulk strings) gets its scripted answer:
// ECHO x -> x, WRONG -> WRONGTYPE error, OOM -> OOM error, TWICE x -> x twice (one reply too
// many), BYE -> +OK then the server closes the connection (as a restarting Redis does).
class FakeRedis {
public:
    FakeRedis() {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        listen(listener_, 4);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeRedis() {
        shutdown(listener_, SHUT_RDWR);
        close(listener_);
        thread_.join();
    }
    int port() const { return port_; }

private:
    void serve() {
        while (true) {
            int fd = accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            std::string in;
            char buf[4096];
            bool open = true;
            while (open) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n <= 0) break;
                in.append(buf, static_cast<std::size_t>(n));
                std::vector<std::string> argv;
                while (open && take_command(in, argv)) open = answer(fd, argv);
            }
            close(fd);
        }
    }
    static bool take_command(std::string& in, std::vector<std::string>& argv) {
        argv.clear();
        std::size_t pos = 0;
        auto line = [&](std::string& out) {
            std::size_t end = in.find("\r\n", pos);
            if (end == std::string::npos) return false;
            out = in.substr(pos, end - pos);
            pos = end + 2;
            return true;
        };
        std::string head;
        if (!line(head) || head.empty() || head[0] != '*') return false;
        int count = std::stoi(head.substr(1));
        for (int i = 0; i < count; ++i) {
            std::string size;
            if (!line(size)) return false;
            std::size_t n = std::stoul(size.substr(1));
            if (in.size() < pos + n + 2) return false;
            argv.push_back(in.substr(pos, n));
            pos += n + 2;
        }
        in.erase(0, pos);
        return true;
    }
    static void send_all(int fd, const std::string& s) {
        if (write(fd, s.data(), s.size()) != static_cast<ssize_t>(s.size())) return;
    }
    static std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }
    static bool answer(int fd, const std::vector<std::string>& argv) {
        const std::string& name = argv.at(0);
        if (name == "ECHO") send_all(fd, bulk(argv.at(1)));
        else if (name == "TWICE") send_all(fd, bulk(argv.at(1)) + bulk(argv.at(1)));
        else if (name == "WRONG") send_all(fd, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
        else if (name == "OOM") send_all(fd, "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
        else if (name == "BYE") {
            send_all(fd, "+OK\r\n");
            return false;
        } else send_all(fd, "-ERR unknown command\r\n");
        return true;
    }

    int listener_ = -1;
    int port_ = 0;
    std::thread thread_;
};

std::string echo(RedisConnection& redis, const std::string& text) {
    auto reply = redis.command({"ECHO", text});
    return std::string(reply->str, reply->len);
}

// Polls (with a deadline, no fixed sleep) until the connection reports itself unhealthy.
bool becomes_unhealthy(RedisConnection& redis) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!redis.healthy()) return true;
        std::this_thread::yield();
    }
    return false;
}

void a_pipeline_error_reply_leaves_no_stale_reply_behind(void**) {
    FakeRedis server;
    RedisConnection redis("127.0.0.1", server.port(), 2000);
    bool threw = false;
    try {
        redis.pipeline({{"ECHO", "a"}, {"WRONG"}, {"ECHO", "b"}, {"ECHO", "c"}});
    } catch (const RedisError& e) {
        threw = std::string(e.what()).find("WRONGTYPE") != std::string::npos;
    }
    assert_true(threw);
    assert_true(redis.healthy());
    // The next command gets its own reply, not "b" or "c".
    assert_string_equal(echo(redis, "d").c_str(), "d");
    assert_string_equal(echo(redis, "e").c_str(), "e");
}

void an_oom_reply_first_in_a_pipeline_is_reported_and_the_rest_is_read(void**) {
    FakeRedis server;
    RedisConnection redis("127.0.0.1", server.port(), 2000);
    bool threw = false;
    try {
        redis.pipeline({{"OOM"}, {"ECHO", "x"}, {"WRONG"}});
    } catch (const RedisError& e) {
        threw = std::string(e.what()).find("OOM") != std::string::npos;  // the first error, not the last
    }
    assert_true(threw);
    assert_string_equal(echo(redis, "y").c_str(), "y");
}

void a_pipeline_without_errors_returns_every_reply_in_order(void**) {
    FakeRedis server;
    RedisConnection redis("127.0.0.1", server.port(), 2000);
    auto replies = redis.pipeline({{"ECHO", "1"}, {"ECHO", "2"}, {"ECHO", "3"}});
    assert_int_equal(replies.size(), 3);
    for (int i = 0; i < 3; ++i) assert_string_equal(replies[i]->str, std::to_string(i + 1).c_str());
    assert_true(redis.healthy());
}

void a_connection_the_server_closed_is_not_healthy(void**) {
    FakeRedis server;
    RedisConnection redis("127.0.0.1", server.port(), 2000);
    assert_string_equal(echo(redis, "hello").c_str(), "hello");
    redis.command({"BYE"});  // the server closes it, as a Redis that restarts does
    assert_true(becomes_unhealthy(redis));
}

void a_connection_with_bytes_nobody_asked_for_is_not_healthy(void**) {
    FakeRedis server;
    RedisConnection redis("127.0.0.1", server.port(), 2000);
    redis.command({"TWICE", "z"});  // one reply too many arrives
    assert_true(becomes_unhealthy(redis));
}

void a_dropped_connection_throws_instead_of_crashing(void**) {
    FakeRedis server;
    RedisConnection redis("127.0.0.1", server.port(), 2000);
    redis.drop();
    assert_false(redis.healthy());
    bool threw = false;
    try {
        redis.command({"ECHO", "x"});
    } catch (const RedisError&) {
        threw = true;
    }
    assert_true(threw);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_pipeline_error_reply_leaves_no_stale_reply_behind),
        cmocka_unit_test(an_oom_reply_first_in_a_pipeline_is_reported_and_the_rest_is_read),
        cmocka_unit_test(a_pipeline_without_errors_returns_every_reply_in_order),
        cmocka_unit_test(a_connection_the_server_closed_is_not_healthy),
        cmocka_unit_test(a_connection_with_bytes_nobody_asked_for_is_not_healthy),
        cmocka_unit_test(a_dropped_connection_throws_instead_of_crashing),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}

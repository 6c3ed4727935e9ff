// A PostgreSQL server that accepts a statement and never answers cannot pin the calling thread: with
// a timeout the wait ends after timeout + kPgAnswerGraceMs, the connection is dropped, and every
// later statement on it fails at once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "store/pg_connection.hpp"

namespace {

// Speaks just enough of the protocol to let a client in (AuthenticationOk, ReadyForQuery), then
// reads whatever comes and answers nothing, as a hung server does.
class SilentServer {
public:
    SilentServer() {
        listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        listen(listen_fd_, 4);
        thread_ = std::thread([this] { serve(); });
    }
    ~SilentServer() {
        stop_ = true;
        shutdown(listen_fd_, SHUT_RDWR);
        close(listen_fd_);
        thread_.join();
    }
    int port() const { return port_; }

private:
    void serve() {
        int fd = accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        unsigned char length[4];
        if (read_all(fd, length, 4)) {
            std::uint32_t n = (std::uint32_t(length[0]) << 24) | (length[1] << 16) | (length[2] << 8) | length[3];
            std::string rest(n - 4, '\0');
            read_all(fd, reinterpret_cast<unsigned char*>(rest.data()), rest.size());
            static const unsigned char hello[] = {'R', 0, 0, 0, 8, 0, 0, 0, 0, 'Z', 0, 0, 0, 5, 'I'};
            (void)!write(fd, hello, sizeof hello);
        }
        char sink[4096];
        while (!stop_ && read(fd, sink, sizeof sink) > 0) {
        }
        close(fd);
    }
    static bool read_all(int fd, unsigned char* at, std::size_t n) {
        while (n > 0) {
            ssize_t got = read(fd, at, n);
            if (got <= 0) return false;
            at += got;
            n -= static_cast<std::size_t>(got);
        }
        return true;
    }
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

void a_statement_without_answer_fails_after_the_timeout_and_a_grace(void**) {
    alarm(10);  // without the deadline the statement waits forever: fail instead of hanging
    SilentServer server;
    asg::PgConnection db("host=127.0.0.1 port=" + std::to_string(server.port()) +
                             " dbname=asgard user=asgard sslmode=disable gssencmode=disable",
                         300);
    auto start = std::chrono::steady_clock::now();
    std::string state;
    try {
        db.exec("SELECT 1");
    } catch (const asg::PgError& e) {
        state = e.sqlstate;
        assert_true(std::string(e.what()).find("did not answer within 800 ms") != std::string::npos);
        assert_true(asg::pg_timed_out(e));
        assert_true(asg::pg_unavailable(e));
    }
    std::int64_t took = elapsed_ms(start);
    assert_true(state == "57014");
    assert_true(took >= 700 && took < 3000);
    assert_false(db.healthy());

    // The connection is gone: the next statement (a ROLLBACK, say) does not wait again.
    start = std::chrono::steady_clock::now();
    bool threw = false;
    try {
        db.exec("ROLLBACK");
    } catch (const asg::PgError& e) {
        threw = true;
        assert_true(asg::pg_unavailable(e));
    }
    assert_true(threw);
    assert_true(elapsed_ms(start) < 100);
    alarm(0);
}

void a_lock_or_statement_timeout_is_a_timeout_and_a_syntax_error_is_not(void**) {
    assert_true(asg::pg_timed_out(asg::PgError("canceling statement due to lock timeout", "55P03")));
    assert_true(asg::pg_timed_out(asg::PgError("canceling statement due to statement timeout", "57014")));
    assert_true(asg::pg_unavailable(asg::PgError("cannot connect", "08001")));
    assert_true(asg::pg_unavailable(asg::PgError("the database system is shutting down", "57P03")));
    assert_false(asg::pg_unavailable(asg::PgError("syntax error", "42601")));
    assert_false(asg::pg_unavailable(asg::PgError("duplicate key", "23505")));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_statement_without_answer_fails_after_the_timeout_and_a_grace),
        cmocka_unit_test(a_lock_or_statement_timeout_is_a_timeout_and_a_syntax_error_is_not),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}

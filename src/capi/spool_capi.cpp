// The call spool's part of the C boundary (asgard.h): noexcept wrappers over gateway/call_spool
// and the replay in gateway/spend_log.
#include <algorithm>
#include <cstring>
#include <string>

#include "asgard.h"
#include "gateway/call_spool.hpp"
#include "gateway/spend_log.hpp"

using namespace asg;

static void copy_out(char* dst, std::size_t size, const std::string& src) {
    if (size == 0) return;
    std::size_t n = std::min(size - 1, src.size());
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

extern "C" int asg_gateway_spool_open(const char* dir, char* err, size_t errlen) noexcept {
    try {
        std::string error = open_call_spool(dir ? dir : "");
        if (error.empty()) return 0;
        copy_out(err, errlen, error);
    } catch (...) {
        copy_out(err, errlen, "unknown error");
    }
    return -1;
}

extern "C" void asg_gateway_spool_close(void) noexcept {
    try {
        close_call_spool();
    } catch (...) {
        // The files stay, and are replayed as a dead worker's.
    }
}

extern "C" int asg_gateway_replay_spools(char* msg, size_t msglen) noexcept {
    try {
        bool failed = false;
        std::string lines = replay_call_spools(failed);
        copy_out(msg, msglen, lines);
        return failed ? -1 : lines.empty() ? 0 : 1;
    } catch (...) {
        copy_out(msg, msglen, "replaying the spool files of dead workers failed: unknown error");
        return -1;
    }
}

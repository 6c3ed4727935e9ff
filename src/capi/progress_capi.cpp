// The C interface of a tool call's progress queue (asg_mcp_progress_*): made and drained by the
// glue on the event loop, filled by the core on a pool thread.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "asgard.h"
#include "mcp/progress.hpp"

extern "C" asg_mcp_progress_t* asg_mcp_progress_new(void) noexcept {
    return new (std::nothrow) asg_mcp_progress_s;
}

extern "C" size_t asg_mcp_progress_take(asg_mcp_progress_t* p, char** events) noexcept {
    *events = nullptr;
    try {
        std::string taken = p->queue.take();
        if (taken.empty()) return 0;
        char* copy = static_cast<char*>(std::malloc(taken.size()));
        if (copy == nullptr) return 0;  // out of memory: those events are lost, the answer is not
        std::memcpy(copy, taken.data(), taken.size());
        *events = copy;
        return taken.size();
    } catch (const std::exception&) {  // bad_alloc while taking: nothing was handed over
        return 0;
    }
}

extern "C" void asg_mcp_progress_end(asg_mcp_progress_t* p, const char* answer, size_t len) noexcept {
    try {
        p->queue.send(std::string(answer, len));
    } catch (const std::exception&) {  // bad_alloc: the glue finds no answer event and answers 500
    }
}

extern "C" void asg_mcp_progress_free(asg_mcp_progress_t* p) noexcept { delete p; }

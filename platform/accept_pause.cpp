#include "platform/accept_pause.h"

#include <cstring>

#include "core/log.h"
#include "platform/net.h"
#include "platform/process.h"

namespace p2p::platform {

AcceptPause::AcceptPause(EventLoop& loop, const char* module, MonoMs pause_ms)
    : loop_(loop), module_(module), pause_ms_(pause_ms) {}

AcceptPause::~AcceptPause() {
    cancel();
}

bool AcceptPause::on_accept_failed(int listen_fd, IoHandler* handler, int error) {
    if (!accept_error_is_exhaustion(error)) return false;
    if (timer_ != 0) return true;
    if (episode_pauses_++ == 0)
        P2P_WARN(module_, "cannot accept: %s (descriptor limit %ld): pausing accepts for %lld ms",
                 std::strerror(error), current_fd_limit(), static_cast<long long>(pause_ms_));
    listen_fd_ = listen_fd;
    handler_ = handler;
    loop_.unwatch(listen_fd);
    timer_ = loop_.schedule_in(pause_ms_, this, 0);
    return true;
}

void AcceptPause::on_accepted() {
    if (episode_pauses_ == 0) return;
    P2P_INFO(module_, "accepting again after %llu pause(s) for want of descriptors",
             static_cast<unsigned long long>(episode_pauses_));
    episode_pauses_ = 0;
}

void AcceptPause::cancel() {
    if (timer_ != 0) loop_.cancel(timer_);
    timer_ = 0;
}

void AcceptPause::on_timer(std::uint64_t) {
    timer_ = 0;
    loop_.watch(listen_fd_, kIoRead, handler_);
}

}  // namespace p2p::platform

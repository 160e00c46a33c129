#include "core/failure_streak.h"

#include <cstring>

namespace p2p {

bool FailureStreak::fail(std::string_view cause) {
    std::string_view kept = cause.substr(0, kCauseBytes);
    bool news = failures_ == 0 || kept != this->cause();
    if (failures_ < UINT32_MAX) ++failures_;
    if (news) {
        std::memcpy(cause_, kept.data(), kept.size());
        cause_len_ = kept.size();
    }
    return news;
}

std::uint32_t FailureStreak::recover() {
    std::uint32_t ended = failures_;
    failures_ = 0;
    cause_len_ = 0;
    return ended;
}

}  // namespace p2p

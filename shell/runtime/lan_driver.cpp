#include "shell/runtime/lan_driver.h"

#include <utility>

namespace p2p::shell {

LanDriver::LanDriver(platform::EventLoop& loop, LanDiscovery::Config rules,
                     platform::LanSocket::Config sockets, Node& node, Rng& rng)
    : loop_(loop),
      rules_(std::move(rules), loop.clock(), rng, *this),
      socket_config_(sockets),
      socket_(loop),
      node_(node) {}

LanDriver::~LanDriver() {
    if (timer_) loop_.cancel(timer_);
}

bool LanDriver::start(std::string* error) {
    bool ok = socket_.open(
        socket_config_,
        [this](std::string_view ip, char* data, std::size_t len) {
            rules_.on_datagram(ip, data, len);
            arm();  // a new peer makes our next announcement due sooner
        },
        error);
    if (!ok) return false;
    rules_.start();
    run_due();
    return true;
}

void LanDriver::on_lan_peer(const PeerAdvert& advert) {
    node_.on_peer_advert(advert);
}

void LanDriver::run_due() {
    rules_.tick();
    std::string_view datagram;
    while (rules_.next_announcement(datagram))
        socket_.send(datagram);
    arm();
}

void LanDriver::arm() {
    MonoMs at = rules_.next_deadline();
    if (at == timer_at_) return;
    if (timer_) loop_.cancel(timer_);
    timer_ = 0;
    timer_at_ = at;
    if (at != LanDiscovery::kNoDeadline) timer_ = loop_.schedule_at(at, this, 0);
}

void LanDriver::on_timer(std::uint64_t) {
    timer_ = 0;
    timer_at_ = LanDiscovery::kNoDeadline;
    run_due();
}

}  // namespace p2p::shell

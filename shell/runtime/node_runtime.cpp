#include "shell/runtime/node_runtime.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include <netinet/in.h>

#include "core/log.h"
#include "core/log_throttle.h"
#include "platform/random.h"
#include "shell/runtime/lan_driver.h"
#include "shell/runtime/rendezvous_link.h"
#include "shell/runtime/rendezvous_server.h"

namespace p2p::shell {

namespace {

constexpr const char* kModule = "Node";

enum TimerTag : std::uint64_t { kTagShutdownDeadline = 1, kTagEngine = 2, kTagFlushMore = 3 };

// The address a client on this machine dials to reach a server bound to
// `bound` (a wildcard bind is reached over loopback).
platform::HostPort local_view(const platform::SockAddr& bound) {
    char ip[64];
    platform::HostPort hp{bound.ip(ip, sizeof ip), bound.port()};
    if (hp.host == "0.0.0.0") hp.host = "127.0.0.1";
    if (hp.host == "::") hp.host = "::1";
    return hp;
}

}  // namespace

NodeRuntime::NodeRuntime(platform::EventLoop& loop, NodeRuntimeSettings settings,
                         NodeRuntimeListener& listener)
    : loop_(loop),
      settings_(std::move(settings)),
      listener_(listener),
      resolver_(loop_),
      rng_(settings_.client_seed),
      links_(loop_, resolver_),
      self_(std::make_shared<NodeRuntime*>(this)),
      target_(settings_.rendezvous),
      notifier_(settings_.service),
      watchdog_(loop_, notifier_) {
    setup_credentials();
    node_ = std::make_unique<Node>(settings_.engine, loop_.clock(), *this);
    links_.attach(*node_);
    // Repeated WARNs (dropped messages, refused connections) are counted
    // against the loop's clock and summarized from on_timer().
    log_throttle().set_clock(&loop_.clock());
}

NodeRuntime::~NodeRuntime() {
    log_throttle().flush_due();
    if (log_throttle().clock() == &loop_.clock()) log_throttle().set_clock(nullptr);
    self_.reset();
    lan_.reset();
    driver_.reset();
    link_.reset();
    if (server_) server_->stop();
    links_.close_all();
    links_.stop_listening();
    if (engine_timer_) loop_.cancel(engine_timer_);
    if (flush_timer_) loop_.cancel(flush_timer_);
    if (shutdown_timer_) loop_.cancel(shutdown_timer_);
}

std::string NodeRuntime::self_id() const {
    return std::string(node_->self_id());
}

bool NodeRuntime::start(std::string* error) {
    if (!start_listening(error)) return false;
    if (!maybe_serve_rendezvous(error)) return false;
    start_rendezvous();
    if (settings_.lan_discovery) start_lan_discovery();
    for (const platform::HostPort& p : settings_.static_peers)
        if (!node_->add_static_peer(p.host, p.port))
            listener_.on_error("cannot add static peer " + p.to_string());
    watchdog_.start();
    std::weak_ptr<NodeRuntime*> weak = self_;
    loop_.add_before_sleep([weak] {
        if (auto self = weak.lock()) (*self)->before_sleep();
    });
    return true;
}

bool NodeRuntime::start_listening(std::string* error) {
    std::string err;
    if (!links_.listen(settings_.listen, settings_.listen_backlog, &err)) {
        *error = "cannot listen on " + settings_.listen.to_string() + ": " + err;
        return false;
    }
    platform::SockAddr bound = links_.listen_address();
    listen_port_ = bound.port();
    std::string text = "listening on " + bound.to_string() + " as " + self_id();
    listener_.on_info(text);
    P2P_DEBUG(kModule, "%s", text.c_str());  // shown once, as the event above
    return true;
}

// Serves the rendezvous in-process when asked to, or when the address is
// free: being able to bind it means nothing answers there (a server
// listening on it, even on the wildcard address, makes the bind fail), and
// binding instead of probing leaves no window for two nodes started
// together to both decide to serve.
bool NodeRuntime::maybe_serve_rendezvous(std::string* error) {
    if (settings_.serve == ServeRendezvous::kNo) return true;
    RendezvousServerConfig config;
    config.db_path = settings_.rendezvous_db;
    server_ = std::make_unique<RendezvousServer>(loop_, config);
    std::string err;
    if (!server_->start(settings_.serve_at, &err)) {
        server_.reset();
        std::string at = settings_.serve_at.to_string();
        if (settings_.serve == ServeRendezvous::kYes) {
            *error = "cannot serve the rendezvous on " + at + ": " + err;
            return false;
        }
        // The usual case (a rendezvous already runs there): no news at INFO.
        P2P_DEBUG(kModule, "not serving the rendezvous on %s (%s): using the one there", at.c_str(),
                  err.c_str());
        return true;
    }
    platform::SockAddr bound = server_->bound_address();
    target_ = local_view(bound);
    listener_.on_rendezvous("serving in-process on " + bound.to_string());
    return true;
}

void NodeRuntime::start_rendezvous() {
    RendezvousClient::Config c = settings_.client;
    c.name = settings_.engine.name;
    c.ns = settings_.engine.ns;
    c.listen_port = listen_port_;
    client_ = std::make_unique<RendezvousClient>(std::move(c), loop_.clock(), rng_, *this);
    link_ = std::make_unique<RendezvousLink>(loop_, resolver_);
    link_->set_server(target_);
    driver_ = std::make_unique<RendezvousDriver>(loop_, *client_, *link_);
    listener_.on_rendezvous("using " + target_.to_string());
    client_->start();
    driver_->pump();
}

// Announced on the families a peer can dial us over: a wildcard IPv6
// listener takes IPv4 too (dual stack), 0.0.0.0 only IPv4.
void NodeRuntime::start_lan_discovery() {
    LanDiscovery::Config rules;
    rules.name = settings_.engine.name;
    rules.ns = settings_.engine.ns;
    rules.listen_port = listen_port_;
    rules.instance = rng_.next();
    rules.max_peers = settings_.engine.max_peers;
    platform::LanSocket::Config sockets;
    sockets.port = settings_.lan_port;
    const sockaddr_storage& bound = settings_.listen.storage;
    bool v6 = bound.ss_family == AF_INET6;
    sockets.send_v4 =
        !v6 || IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_addr);
    sockets.send_v6 = v6;
    lan_ = std::make_unique<LanDriver>(loop_, std::move(rules), sockets, *node_, rng_);
    std::string err;
    if (!lan_->start(&err)) {
        lan_.reset();
        P2P_WARN(kModule, "LAN discovery is off: %s", err.c_str());
        return;
    }
    std::string groups = sockets.send_v4 ? kLanGroupV4 : "";
    if (sockets.send_v6) groups += (groups.empty() ? "" : ", ") + std::string(kLanGroupV6);
    listener_.on_info("LAN discovery on udp port " + std::to_string(settings_.lan_port) + " (" +
                      groups + ")");
}

void NodeRuntime::rediscover() {
    node_->reconnect_all();
    if (!client_) return;
    client_->request_discover();
    driver_->pump();
}

// BYE on every link (the engine waits for the BYE_OKs), then UNREGISTER
// once quit_complete() says the links are closed, then on_stopped().
void NodeRuntime::shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    notifier_.stopping();
    links_.stop_listening();
    lan_.reset();  // neither announce nor dial anyone new while saying BYE
    shutdown_timer_ = loop_.schedule_in(settings_.shutdown_deadline_ms, this, kTagShutdownDeadline);
    node_->quit();
}

void NodeRuntime::finish() {
    if (shutdown_timer_) loop_.cancel(shutdown_timer_);
    shutdown_timer_ = 0;
    if (stopped_) return;
    stopped_ = true;
    listener_.on_stopped();
}

// ---- the reactor's side of the engine ------------------------------------------------

// Just before the loop sleeps: write what the engine queued (one writev per
// link), then wake up again at the engine's next deadline.
void NodeRuntime::before_sleep() {
    if (links_.flush() && !flush_timer_)
        flush_timer_ = loop_.schedule_in(0, this, kTagFlushMore);  // do not sleep on them
    arm_engine_timer();
}

void NodeRuntime::arm_engine_timer() {
    MonoMs deadline = std::min(node_->next_deadline(), log_throttle().next_due());
    if (deadline == engine_timer_at_) return;
    if (engine_timer_) loop_.cancel(engine_timer_);
    engine_timer_ = 0;
    engine_timer_at_ = deadline;
    if (deadline != Node::kNoDeadline)
        engine_timer_ = loop_.schedule_at(deadline, this, kTagEngine);
}

void NodeRuntime::on_timer(std::uint64_t tag) {
    if (tag == kTagEngine) {
        engine_timer_ = 0;
        engine_timer_at_ = Node::kNoDeadline;
        node_->on_timer();
        log_throttle().flush_due();
    } else if (tag == kTagFlushMore) {
        flush_timer_ = 0;  // its only job was to keep the loop awake
    } else if (tag == kTagShutdownDeadline) {
        shutdown_timer_ = 0;
        P2P_WARN(kModule, "shutdown took too long; exiting anyway");
        finish();
    }
}

// With a node key: a Noise static key for this run, signed by it, and `noise` in the
// features every HELLO announces (docs/protocol.md §8).
void NodeRuntime::setup_credentials() {
    if (!settings_.identity) return;
    noise::Key static_secret;
    if (!platform::random_bytes(static_secret.data(), static_secret.size())) {
        P2P_WARN("Node", "no random bytes for a Noise key: links stay plaintext");
        return;
    }
    credentials_ =
        std::make_unique<NoiseCredentials>(make_credentials(*settings_.identity, static_secret));
    static_secret.fill(0);
    settings_.engine.features |= kFeatureNoise;
    links_.set_credentials(credentials_.get(), [this](LinkId link, const IdentityPublic& who) {
        std::string_view peer = "?";
        LinkView v;
        for (std::size_t i = 0; i < node_->link_slots(); ++i)
            if (node_->link_view(i, v) && v.id == link) peer = v.peer_id;
        std::string text = "link " + std::string(peer) + " secured, fingerprint " +
                           grouped_fingerprint(fingerprint(who));
        listener_.on_info(text);
    });
}

// ---- NodeHost ------------------------------------------------------------------------

bool NodeRuntime::secure_link(LinkId link, bool initiator) {
    return links_.secure(link, initiator);
}

bool NodeRuntime::dial(LinkId link, std::string_view host, std::uint16_t port) {
    return links_.dial(link, host, port);
}
bool NodeRuntime::random_bytes(std::uint8_t* out, std::size_t n) {
    if (platform::random_bytes(out, n)) return true;
    // Only without getrandom and without /dev/urandom (an old kernel in a
    // chroot): the engine then falls back to its seeded generator.
    P2P_WARN_LIMITED("Node", "no OS random source", "",
                     "no random bytes from the OS: msg_ids come from a seeded generator and can "
                     "be guessed");
    return false;
}
void NodeRuntime::close_link(LinkId link) {
    links_.close_link(link);
}
void NodeRuntime::want_write(LinkId link) {
    links_.want_write(link);
}
void NodeRuntime::pause_reading(LinkId link, bool paused) {
    links_.pause_reading(link, paused);
}
void NodeRuntime::emit(const NodeEvent& event) {
    listener_.on_node_event(event);
}

void NodeRuntime::quit_complete() {
    // Every link is closed: now UNREGISTER (the client and its driver do not
    // touch the engine, so this is safe from inside it).
    links_closed_ = true;
    if (!client_) {
        finish();
        return;
    }
    client_->shutdown();
    driver_->pump();
    if (client_->done()) finish();
}

// ---- RendezvousClientListener -----------------------------------------------------------

void NodeRuntime::on_registered(std::string_view ip, std::int64_t port, std::int64_t ttl) {
    rendezvous_recovered();
    char text[256];
    std::snprintf(text, sizeof text,
                  "registered %s port %u (seen as %.*s:%" PRId64 ", ttl %" PRId64 " s)",
                  self_id().c_str(), static_cast<unsigned>(listen_port_),
                  static_cast<int>(std::min<std::size_t>(ip.size(), 64)), ip.data(), port, ttl);
    listener_.on_rendezvous(text);
    service_status(text);
}

// Ready once the first registration has an answer, whichever: a relay whose rendezvous
// is down still serves its links, and must not sit in "activating" until systemd kills it.
void NodeRuntime::service_status(const std::string& text) {
    if (!ready_sent_) {
        ready_sent_ = true;
        notifier_.ready();
    }
    notifier_.status(text);
}

void NodeRuntime::on_discovered(std::size_t listed, std::size_t usable, std::size_t tracked) {
    first_discovery_over_ = true;
    rendezvous_recovered();
    if (reported_discovery_ && usable == last_usable_) return;  // say it when it changes
    reported_discovery_ = true;
    last_usable_ = usable;
    char text[160];
    std::snprintf(text, sizeof text, "discovered %zu peer%s (%zu listed, %zu tracked)", usable,
                  usable == 1 ? "" : "s", listed, tracked);
    listener_.on_rendezvous(text);
}

// The engine owns the peer table and reports its changes itself.
void NodeRuntime::on_peer(const PeerAdvert& advert) {
    node_->on_peer_advert(advert);
}
bool NodeRuntime::wants(const PeerAdvert& advert) {
    return node_->wants_advert(advert);
}

// Said once per change of state (core/failure_streak.h): the first failure and its
// cause, on the console and as a WARN; each retry only at DEBUG (the client logs it)
// and in the service status; the end of it from rendezvous_recovered().
void NodeRuntime::on_request_failed(RdvRequestKind kind, std::string_view reason, bool blocked,
                                    MonoMs retry_in_ms) {
    if (kind != RdvRequestKind::kUnregister) first_discovery_over_ = true;
    std::string server = target_.to_string();
    char text[512];
    if (blocked) {
        std::snprintf(text, sizeof text, "%s: %s blocked by the server, waiting %" PRId64 " s",
                      server.c_str(), rdv_request_name(kind), (retry_in_ms + 999) / 1000);
    } else {
        std::snprintf(text, sizeof text,
                      "%s: %s failed: %.*s; retry in %.1f s, backing off to at most %" PRId64
                      " s (further failures for this reason are not repeated)",
                      server.c_str(), rdv_request_name(kind),
                      static_cast<int>(std::min<std::size_t>(reason.size(), 300)), reason.data(),
                      static_cast<double>(retry_in_ms) / 1000.0,
                      client_->config().backoff_max_ms / 1000);
    }
    if (kind == RdvRequestKind::kRegister) service_status(text);
    if (!rendezvous_failures_.fail(blocked ? std::string_view("blocked") : reason)) return;
    listener_.on_rendezvous(text);
    P2P_WARN("Rendezvous", "%s", text);
}

void NodeRuntime::rendezvous_recovered() {
    std::uint32_t failed = rendezvous_failures_.recover();
    if (failed == 0) return;
    char text[256];
    std::snprintf(text, sizeof text, "%s reachable again after %" PRIu32 " failed attempt%s",
                  target_.to_string().c_str(), failed, failed == 1 ? "" : "s");
    listener_.on_rendezvous(text);
    P2P_INFO("Rendezvous", "%s", text);
}

void NodeRuntime::on_unregistered(bool ok, std::string_view reason) {
    if (ok)
        listener_.on_rendezvous("unregistered");
    else
        listener_.on_rendezvous("unregister failed: " + std::string(reason));
    if (shutting_down_ && links_closed_) finish();
}

}  // namespace p2p::shell

// A scripted peer that behaves like the Python peers deployed for the course
// (docs/protocol.md §4, "Living with peers that speak only the revised protocol"),
// over real sockets on 127.0.0.1, so tests can prove p2pchat keeps working
// with them:
//   - only the first line of each recv() is processed; the rest of that read
//     is dropped (and recorded, so a test can assert nothing was lost);
//   - the link is closed on a line that is not a JSON object, on an empty
//     line, and on any PUB;
//   - messages with ttl <= 0 are dropped;
//   - timestamps are epoch numbers (or ISO with "+00:00");
//   - ACKs and PONGs carry no `src`; namespace PUBs go out as bare "CIC";
//   - an un-ACKed SEND is retransmitted with the same msg_id on a schedule
//     (5, 10, 20 s in the wild; configurable so tests are fast);
//   - it pings only on links it dialed, and never announces `relay`.
// One background thread serves every link; the test thread drives it with
// dial()/send_message()/publish() and observes through wait_until().
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace p2p::test {

using std::chrono::milliseconds;

struct LegacyPeerOptions {
    std::string peer_id = "legacy@CIC";
    std::vector<std::string> features = {"ack", "metrics"};  // never "relay"
    // What HELLO_OK lists: the intersection with the caller's features, a
    // copy of the caller's list and version (the deployed threads-based
    // client: `relay` included, however it behaves), or `features` as is.
    enum class HelloOk { kIntersection, kEcho, kFixed };
    HelloOk hello_ok = HelloOk::kIntersection;
    // Delays, from the first send, of each retransmission of an un-ACKed SEND.
    std::vector<milliseconds> retransmit_after = {milliseconds(5000), milliseconds(10000),
                                                  milliseconds(20000)};
    // PING period on links this peer dialed (0: never ping).
    milliseconds ping_interval{0};
    // Pretend the first N ACKs never arrived (provokes retransmissions).
    int ignore_first_acks = 0;
    bool iso_timestamps = false;  // "+00:00" ISO strings instead of epoch numbers
};

// One line the peer processed (the first line of a recv()).
struct LegacyReceived {
    int link = 0;  // index of the link it came on
    std::string line;
    std::string type;
    std::string msg_id;
    std::string src;
    std::string dst;
    std::string payload;
};

// Everything observed so far; read it inside wait_until() or via snapshot().
struct LegacyState {
    std::vector<LegacyReceived> received;
    std::vector<std::string> dropped;          // lines lost by sharing a recv() with another
    std::vector<std::string> ttl_dropped;      // lines discarded for ttl <= 0
    std::vector<std::string> acks_sent;        // msg_ids this peer ACKed (every copy)
    std::vector<std::string> acked;            // msg_ids of our SENDs whose ACK counted
    std::vector<std::string> sends_written;    // msg_id of every SEND copy written
    std::vector<std::string> closes;           // "<link>: <why>" for every closed link
    std::vector<std::string> remote_ids;       // peer_id learnt from each handshake
    std::vector<std::string> remote_features;  // features of the last handshake
    int handshakes = 0;
    int open_links = 0;
    int pongs_received = 0;
    int pings_received = 0;

    int count_type(std::string_view type) const;
    // Payloads of the SENDs received (every copy, in order).
    std::vector<std::string> send_payloads() const;
};

class LegacyPeer {
  public:
    explicit LegacyPeer(LegacyPeerOptions options = {});
    ~LegacyPeer();
    LegacyPeer(const LegacyPeer&) = delete;
    LegacyPeer& operator=(const LegacyPeer&) = delete;

    // Listens on 127.0.0.1:0 and accepts links (answering HELLO with HELLO_OK).
    bool listen();
    std::uint16_t port() const { return port_; }
    // Dials 127.0.0.1:port and sends HELLO; the handshake completes in the
    // background (wait for `handshakes`).
    bool dial(std::uint16_t port);

    // Writes a SEND (require_ack) to `dst` on the newest open link; returns
    // its msg_id ("" if no link is open). Retransmitted until ACKed.
    std::string send_message(std::string_view dst, std::string_view text);
    // Writes a PUB to a bare namespace ("CIC"), as deployed peers do.
    std::string publish(std::string_view bare_namespace, std::string_view text);
    // Writes `bytes` as they are, in one send(), on the newest open link.
    bool write_raw(std::string_view bytes);
    // Closes every link without a BYE (as a crashed Python peer would).
    void drop_links();

    bool wait_until(const std::function<bool(const LegacyState&)>& pred,
                    milliseconds timeout = milliseconds(10000));
    LegacyState snapshot();

  private:
    struct Link {
        int fd = -1;
        bool dialed = false;
        bool hello_done = false;
        std::string in;  // only an incomplete first line is ever kept
        std::chrono::steady_clock::time_point next_ping;
        int index = 0;
    };
    struct Pending {
        std::string msg_id;
        std::string line;
        int link = 0;
        std::chrono::steady_clock::time_point first_sent;
        std::size_t retransmits = 0;
    };

    void run();
    void on_readable(Link& link);
    void handle_line(Link& link, const std::string& line);
    void close_link(Link& link, const std::string& why);
    bool write_locked(Link& link, const std::string& line);
    void tick_locked(std::chrono::steady_clock::time_point now);
    Link* newest_open_locked();
    std::string timestamp() const;
    std::string new_msg_id();

    LegacyPeerOptions opt_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    int wake_[2] = {-1, -1};
    bool stop_ = false;
    std::vector<Link> links_;
    std::vector<Pending> pending_;
    int acks_ignored_ = 0;
    std::mutex mu_;
    std::condition_variable cv_;
    LegacyState state_;
    std::thread thread_;
};

}  // namespace p2p::test

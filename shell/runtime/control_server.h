// The control socket (`--control PATH`): a Unix stream socket through which
// `p2pchat attach` — or a script — runs the shell's commands on a running node (or
// `stats` on a rendezvous server) and receives its events, like birdc talks to bird.
// The protocol (docs/deployment.md, "Attach to a running node") is lines both ways:
//
//   server, on connect:  hello p2pchat-control 1 <what>
//   client -> server:    mode plain|json|tty [WIDTH [colour]]   how to render (default plain)
//                        events on|off                          stream events (default on)
//                        run TAG LINE                           one command line
//                        ids TAG                                peer ids, for completion
//                        readonly                               from now on, only commands
//                                                               that show something run
//                        typed ROWS                             the next `run` line was typed
//                                                               on the client's terminal and
//                                                               takes ROWS rows above its prompt
//   server -> client:    o TEXT       a line of output (an answer or an event)
//                        p PEER_ID    one peer id of an `ids` answer
//                        ok TAG       end of the answer to TAG: it succeeded
//                        err TAG      end of the answer to TAG: it failed
//                        bye REASON   the server closes (the node is stopping)
//
// Everything a TAG's command prints comes before its ok/err, so a one-shot client
// knows when the answer is complete. The server never waits for a client: each is a
// platform::Connection (platform/connection.h) with bounded output, and a client whose
// output overflows — one that stopped reading — is dropped, not waited for. Accepting
// goes through platform::Listener: out of descriptors, it pauses instead of spinning.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/connection.h"
#include "platform/event_loop.h"
#include "platform/listener.h"

namespace p2p::shell {

struct ControlServerConfig {
    std::string path;
    unsigned mode = 0600;  // 0660 with a group
    int group = -1;        // gid allowed in besides the owner; -1: none
    std::size_t max_clients = 16;
    // Output a client may have unread before it is dropped.
    std::size_t queue_bytes = 256 * 1024;
    std::string what;  // the greeting's last word(s): "node alice@CIC", "rendezvous"
};

enum class ControlMode : std::uint8_t { kPlain, kJson, kTty };

class ControlServer;

// State the program keeps per attached client (its console, its commands).
class ControlClientState {
  public:
    virtual ~ControlClientState() = default;
};

// One attached client, as the program sees it.
class ControlClient {
  public:
    ControlMode mode() const { return mode_; }
    int width() const { return width_; }
    bool colour() const { return colour_; }
    bool wants_events() const { return events_; }
    // The client's screen, as far as the server knows it: writes that reached it
    // (output() calls, and each `run` line, which the client's terminal shows as
    // typed). Lets the program amend its last line (a delivery mark) only while
    // nothing came after it.
    std::uint64_t screen_writes() const { return screen_writes_; }
    // Rows the line of the `run` being answered takes above the client's prompt,
    // while nothing has been written since (`typed ROWS` before the `run`); else 0.
    // The echo of a sent message is then written over it: one row per message.
    int typed_rows() const { return screen_writes_ == typed_at_ ? typed_rows_ : 0; }
    // Said `readonly`: the program refuses every command that changes something.
    // One way: nothing the client sends afterwards turns it off.
    bool read_only() const { return read_only_; }
    // Writes complete lines ('\n'-terminated) as `o` lines. Never blocks; a client
    // that cannot take them is dropped.
    void output(std::string_view lines);
    // One `p` line (an `ids` answer).
    void peer_id(std::string_view id);
    bool dropped() const { return doomed_; }

    // The program's state for this client, made on the first request.
    std::unique_ptr<ControlClientState> state;

  private:
    friend class ControlServer;
    struct Io;
    void send_raw(std::string_view a, std::string_view b = {});

    std::unique_ptr<Io> io_;
    ControlMode mode_ = ControlMode::kPlain;
    int width_ = 80;
    bool colour_ = false;
    bool events_ = true;
    bool read_only_ = false;
    std::uint64_t screen_writes_ = 1;  // 0 would mean "unknown" to a console
    int pending_typed_rows_ = 0;       // from `typed`, for the next `run`
    int typed_rows_ = 0;
    std::uint64_t typed_at_ = 0;
    bool doomed_ = false;     // being dropped: no more output, no more events
    std::size_t unread_ = 0;  // output waiting when it was dropped for not reading
};

// What the program does with requests.
class ControlHandler {
  public:
    // Runs one command line, its answer written with client.output(). False when
    // the command failed (the client sees `err`).
    virtual bool on_control_command(ControlClient& client, std::string_view line) = 0;
    // Writes the peer ids Tab may complete to with client.peer_id().
    virtual void on_control_ids(ControlClient& client) { (void)client; }
    // The client's mode or colour changed (its state must render anew; a width
    // change alone does not come here: ControlClient::width() is read per line).
    virtual void on_control_mode(ControlClient& client) { client.state.reset(); }

  protected:
    ~ControlHandler() = default;
};

class ControlServer final : private platform::ListenerOwner, private platform::TimerHandler {
  public:
    ControlServer(platform::EventLoop& loop, ControlHandler& handler, ControlServerConfig config);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Creates the socket (replacing a stale one). False with *err.
    bool start(std::string* err);
    // Says `bye` to every client, closes them and removes the socket file.
    void stop(std::string_view reason = "node stopped");

    // Every connected client (that is not being dropped), for events.
    template <class F>
    void for_each_client(F&& f) {
        for (auto& c : clients_)
            if (c && !c->doomed_) f(*c);
    }
    std::size_t clients() const;
    // Accepting is paused for want of descriptors (platform/accept_pause.h).
    bool accept_paused() const { return listener_.accept_paused(); }

  private:
    friend struct ControlClient::Io;
    void on_accept(int fd, const platform::SockAddr& peer) override;
    std::size_t open_connections() const override { return clients_.size(); }
    void on_timer(std::uint64_t tag) override;
    void handle_request(ControlClient& c, std::string_view line);
    void set_mode(ControlClient& c, std::string_view args);
    void on_client_closed(ControlClient& c, platform::CloseReason reason);
    void sweep();

    platform::EventLoop& loop_;
    ControlHandler& handler_;
    ControlServerConfig config_;
    platform::Listener listener_;
    std::vector<std::unique_ptr<ControlClient>> clients_;
    std::unique_ptr<char[]> read_buf_;  // shared by every client's connection
    platform::TimerId sweep_timer_ = 0;
};

}  // namespace p2p::shell

#include "shell/app/node_control.h"

#include <utility>

#include "platform/unix_socket.h"
#include "shell/app/node_commands.h"
#include "shell/ui/console.h"

namespace p2p::shell {

namespace {

// `self_name`: our name, shown as "<name>" before what an attached shell sends.
ConsoleOptions options_for(const ControlClient& c, std::string_view self_name) {
    ConsoleOptions o;
    o.self_name = self_name;
    switch (c.mode()) {
        case ControlMode::kPlain:
            o.mode = ConsoleMode::kPlain;
            break;
        case ControlMode::kJson:
            o.mode = ConsoleMode::kJson;
            break;
        case ControlMode::kTty:
            o.mode = ConsoleMode::kTty;
            o.colour = c.colour();
            break;
    }
    return o;
}

}  // namespace

bool control_config(const std::string& path, const std::string& group, std::string what,
                    ControlServerConfig& out, std::string* err) {
    out.path = path;
    out.what = std::move(what);
    if (group.empty()) return true;
    out.group = platform::group_id(group);
    out.mode = 0660;
    if (out.group >= 0) return true;
    if (err) *err = "--control-group " + group + ": no such group";
    return false;
}

struct NodeControl::ClientState final : ControlClientState, ConsoleSink {
    ClientState(NodeControl& owner, ControlClient& c)
        : client(c),
          console(options_for(c, owner.runtime_.node().config().name), *this, owner.clock_),
          commands(owner.runtime_, console, owner.ns_, [this, &owner] { quit(owner); }) {}

    void write_lines(std::string_view lines) override { client.output(lines); }
    int columns() const override { return client.width(); }
    // What the client's terminal shows, as its requests tell: the echo of a sent
    // message goes over the typed line and the delivery mark onto the echo, as on
    // the node's own terminal (one row per message).
    std::uint64_t output_count() const override { return client.screen_writes(); }
    int submitted_rows() const override { return client.typed_rows(); }

    // The first /quit only warns; a second one, as the very next command, stops.
    void quit(NodeControl& owner) {
        if (quit_armed_at != 0 && quit_armed_at + 1 == commands_run) {
            console.info("stopping the node");
            owner.quit_();
            return;
        }
        quit_armed_at = commands_run;
        console.info(
            "this stops the node for everyone attached; type /quit again to confirm "
            "(Ctrl-D or /detach leaves it running)");
    }

    ControlClient& client;
    Console console;
    NodeCommands commands;
    std::uint64_t commands_run = 0;
    std::uint64_t quit_armed_at = 0;
};

NodeControl::NodeControl(NodeRuntime& runtime, const Clock& clock, std::string default_namespace,
                         std::function<void()> quit)
    : runtime_(runtime), clock_(clock), ns_(std::move(default_namespace)), quit_(std::move(quit)) {}

NodeControl::~NodeControl() = default;

bool NodeControl::start(platform::EventLoop& loop, ControlServerConfig config, std::string* err) {
    server_ = std::make_unique<ControlServer>(loop, *this, std::move(config));
    if (server_->start(err)) return true;
    server_.reset();
    return false;
}

void NodeControl::stop(std::string_view reason) {
    if (server_) server_->stop(reason);
}

NodeControl::ClientState& NodeControl::state_of(ControlClient& client) {
    if (!client.state) client.state = std::make_unique<ClientState>(*this, client);
    return static_cast<ClientState&>(*client.state);
}

template <class F>
void NodeControl::to_event_readers(F&& f) {
    if (!server_) return;
    server_->for_each_client([&](ControlClient& c) {
        if (c.wants_events()) f(state_of(c));
    });
}

void NodeControl::event(const NodeEvent& ev) {
    if (!server_) return;
    server_->for_each_client([&](ControlClient& c) {
        ClientState& s = state_of(c);
        s.commands.note_event(ev);
        if (c.wants_events() && !refused_now(s.commands, s.console, ev)) s.console.event(ev);
    });
}

void NodeControl::info(std::string_view text) {
    to_event_readers([&](ClientState& s) { s.console.info(text); });
}
void NodeControl::error(std::string_view text) {
    to_event_readers([&](ClientState& s) { s.console.error(text); });
}
void NodeControl::rendezvous(std::string_view text) {
    to_event_readers([&](ClientState& s) { s.console.rendezvous(text); });
}

bool NodeControl::on_control_command(ControlClient& client, std::string_view line) {
    ClientState& s = state_of(client);
    ++s.commands_run;
    s.commands.set_read_only(client.read_only());
    s.commands.set_chat_log(chat_log_);
    return s.commands.handle_line(line);
}

void NodeControl::on_control_ids(ControlClient& client) {
    for_each_peer_id(runtime_.node(), [&client](std::string_view id) { client.peer_id(id); });
}

}  // namespace p2p::shell

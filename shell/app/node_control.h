// The node's side of the control socket (shell/runtime/control_server.h): each
// attached client gets its own Console (rendering in the mode it asked for) and its
// own NodeCommands (its own /reply target), fed the same events as the node's own
// console. A client that said `readonly` may run only commands that show something.
// /quit from an attached client must be typed twice in a row: it stops the
// node for everyone attached, and often a service.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/node.h"
#include "platform/event_loop.h"
#include "shell/app/chat_log.h"
#include "shell/runtime/control_server.h"
#include "shell/runtime/node_runtime.h"

namespace p2p::shell {

// The control socket's settings from --control PATH and --control-group GROUP (mode
// 0660 for that group, else 0600). False with *err when the group does not exist.
bool control_config(const std::string& path, const std::string& group, std::string what,
                    ControlServerConfig& out, std::string* err);

class NodeControl final : public ControlHandler {
  public:
    // `quit` stops the node (after a confirmed /quit).
    NodeControl(NodeRuntime& runtime, const Clock& clock, std::string default_namespace,
                std::function<void()> quit);
    ~NodeControl();
    NodeControl(const NodeControl&) = delete;
    NodeControl& operator=(const NodeControl&) = delete;

    bool start(platform::EventLoop& loop, ControlServerConfig config, std::string* err);
    void stop(std::string_view reason);

    // What the node's own console shows, for every attached client too.
    void event(const NodeEvent& ev);
    void info(std::string_view text);
    void error(std::string_view text);
    void rendezvous(std::string_view text);

    // --chat-log: what attached clients send is written there too.
    void set_chat_log(ChatLog* log) { chat_log_ = log; }

    bool on_control_command(ControlClient& client, std::string_view line) override;
    void on_control_ids(ControlClient& client) override;

  private:
    struct ClientState;
    ClientState& state_of(ControlClient& client);
    template <class F>
    void to_event_readers(F&& f);

    NodeRuntime& runtime_;
    const Clock& clock_;
    std::string ns_;
    std::function<void()> quit_;
    std::unique_ptr<ControlServer> server_;
    ChatLog* chat_log_ = nullptr;
};

}  // namespace p2p::shell

// Benchmark (not a test): the cost of rendering one incoming message for the
// console, per mode, so it can be set against the network path. Output goes
// to a sink that only counts bytes.
//
// Usage: bench_console_bench [--events N] [--payload BYTES]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/clock.h"
#include "core/node.h"
#include "shell/ui/command_parser.h"
#include "shell/ui/console.h"

using namespace p2p;
using namespace p2p::shell;
using Steady = std::chrono::steady_clock;

namespace {

class CountingSink final : public ConsoleSink {
  public:
    void write_lines(std::string_view lines) override { bytes += lines.size(); }
    std::size_t bytes = 0;
};

double render_ns(ConsoleMode mode, const NodeEvent& ev, int events, std::size_t* bytes) {
    ManualClock clock;
    CountingSink sink;
    ConsoleOptions o;
    o.mode = mode;
    o.colour = mode == ConsoleMode::kTty;
    Console console(o, sink, clock);
    console.event(ev);  // warm-up
    auto t0 = Steady::now();
    for (int i = 0; i < events; ++i)
        console.event(ev);
    auto t1 = Steady::now();
    *bytes = sink.bytes / static_cast<std::size_t>(events + 1);
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / events;
}

}  // namespace

int main(int argc, char** argv) {
    int events = 200000;
    std::size_t payload = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--events") == 0) events = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--payload") == 0)
            payload = static_cast<std::size_t>(std::atol(argv[i + 1]));
    }
    if (events <= 0) events = 1;
    std::string text(payload, 'x');
    for (std::size_t i = 7; i < text.size(); i += 8)
        text[i] = ' ';
    NodeEvent ev;
    ev.kind = EventKind::kMsg;
    ev.peer_id = "alice@CIC";
    ev.msg_id = "6f1c2a9e-3b7d-4e21-9a55-0c8d7e6f5a41";
    ev.text = text;

    std::printf("console render, %d msg events, payload %zu bytes\n", events, payload);
    const struct {
        ConsoleMode mode;
        const char* name;
    } modes[] = {
        {ConsoleMode::kPlain, "plain"}, {ConsoleMode::kJson, "json"}, {ConsoleMode::kTty, "tty"}};
    for (const auto& m : modes) {
        std::size_t bytes = 0;
        double ns = render_ns(m.mode, ev, events, &bytes);
        std::printf("  %-5s %8.0f ns/event  %9.0f events/s  %5zu bytes/event\n", m.name, ns,
                    1e9 / ns, bytes);
    }

    CommandParser parser;
    ParseResult result;
    std::string line = "/msg bob@CIC " + text;
    auto t0 = Steady::now();
    for (int i = 0; i < events; ++i)
        parser.parse(line, result);
    auto t1 = Steady::now();
    std::printf("  parse %8.0f ns/command (/msg with the payload)\n",
                std::chrono::duration<double, std::nano>(t1 - t0).count() / events);
    return result.ok() ? 0 : 1;
}

// libFuzzer target for the line framer: the input's bytes are fed in a
// fuzzer-chosen chunking under a fuzzer-chosen limit, and the events must
// match a whole-input model of docs/protocol.md §2 whatever the chunking.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/limits.h"
#include "core/line_framer.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "framer_fuzz: %s\n", what);
        std::abort();
    }
}

// Event encoding shared by framer and model: a line's bytes, or nullopt-like
// marker for kTooLong (a one-element vector holding a sentinel flag).
struct Event {
    bool too_long;
    std::string line;
    bool operator==(const Event& o) const { return too_long == o.too_long && line == o.line; }
};

std::vector<Event> model(const std::string& input, std::size_t limit) {
    std::vector<Event> out;
    std::size_t start = 0;
    while (true) {
        std::size_t nl = input.find('\n', start);
        if (nl == std::string::npos) {
            if (input.size() - start > limit + 1) out.push_back({true, {}});
            return out;
        }
        std::string line = input.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > limit) {
            out.push_back({true, {}});
        } else {
            out.push_back({false, line});
        }
        start = nl + 1;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    // Small limits reach the boundaries with short inputs; the real one too.
    std::size_t limit =
        fdp.ConsumeBool() ? p2p::kMaxLineBytes : fdp.ConsumeIntegralInRange<std::size_t>(1, 64);
    std::uint32_t seed = fdp.ConsumeIntegral<std::uint32_t>();
    std::string input = fdp.ConsumeRemainingBytesAsString();

    std::vector<char> partial(limit + 2);
    partial.back() = '\x5a';  // guard
    p2p::LineFramer framer(partial.data(), limit);
    std::vector<Event> got;

    std::size_t pos = 0;
    while (pos < input.size()) {
        seed = seed * 1103515245u + 12345u;
        std::size_t n = 1 + (seed >> 8) % (2 * limit + 3);
        if (n > input.size() - pos) n = input.size() - pos;
        std::vector<char> read(input.begin() + pos, input.begin() + pos + n);
        read.push_back('\x5a');  // guard
        framer.feed(read.data(), n, [&](p2p::LineFramer::Event ev, char* line, std::size_t len) {
            if (ev == p2p::LineFramer::Event::kTooLong) {
                check(line == nullptr && len == 0, "kTooLong carries a line");
                got.push_back({true, {}});
                return;
            }
            check(len <= limit, "line longer than the limit");
            check(line[len] == '\0', "line not NUL-terminated");
            check(std::memchr(line, '\n', len) == nullptr, "newline inside a line");
            got.push_back({false, std::string(line, len)});
        });
        check(read.back() == '\x5a', "wrote past the read");
        check(partial.back() == '\x5a', "wrote past the partial buffer");
        check(framer.buffered() <= limit + 1, "buffered beyond the limit");
        pos += n;
    }
    check(got == model(input, limit), "events differ from the model");
    return 0;
}

// Line input without a terminal (a pipe, a service, a cross build without
// libedit): reads stdin as the reactor reports it readable and hands each
// complete line on. Lines are split by core's LineFramer (the same rules as
// every connection: '\n' ends a line, one '\r' before it is stripped) over a
// fixed partial buffer of max_line + 1 bytes; a line longer than max_line is
// refused with a message and skipped up to its newline, never buffered and
// never split into pieces that would run as commands. Stdin stays outside the
// connection layer: it may be a regular file the poller refuses, read from a
// timer instead (shell/ui/line_editor.cpp).
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/line_framer.h"

namespace p2p::shell {

// What a line source reports. Shared by the plain reader and the editor.
class LineHandler {
  public:
    // A complete line, without '\n' or a trailing '\r'.
    virtual void on_line(std::string_view line) = 0;
    // Input that was refused (too long); one line of explanation.
    virtual void on_input_error(std::string_view message) = 0;
    // End of input (EOF, Ctrl-D on an empty line, or a read error).
    virtual void on_eof() = 0;
    // Something the person at the keyboard should know about their input
    // (how to quit, after Ctrl-C on an empty line). Ignored by default:
    // piped input has nobody to tell.
    virtual void on_input_note(std::string_view text) { (void)text; }
    // The question a paste of more than LineEditorOptions::paste_lines lines asks
    // before any of them is handed on (the answer is the next line: y or yes sends).
    virtual std::string paste_question(std::size_t lines) {
        return "send " + std::to_string(lines) + " pasted lines? [y/N] ";
    }

  protected:
    ~LineHandler() = default;
};

class LineReader {
  public:
    explicit LineReader(LineHandler& handler, std::size_t max_line = kMaxLineBytes);

    // Call when fd is readable: one read(2), then every complete line in the
    // buffer is delivered. At EOF a last unterminated line is delivered
    // before on_eof(). Returns false once EOF or an error has been reported.
    bool feed(int fd);
    // Same, for bytes obtained elsewhere (already read).
    void push(std::string_view bytes);
    // Ends input: delivers an unterminated last line, then on_eof().
    void finish();
    // Backpressure: while paused, feed() reads nothing and lines already
    // read stay in the buffer; resume() delivers them (until paused again).
    // Callable from on_line().
    void pause() { paused_ = true; }
    void resume();
    bool paused() const { return paused_; }

    bool finished() const { return finished_; }
    std::size_t max_line() const { return max_line_; }
    std::size_t buffered() const { return framer_.buffered(); }

  private:
    // Bytes per read(2); a line longer than this arrives over several reads.
    static constexpr std::size_t kReadBytes = 4096;

    auto sink();
    std::size_t next_read_size() const;
    void deliver(char* data, std::size_t len);
    void refuse_long_line();

    LineHandler& handler_;
    std::size_t max_line_;
    std::unique_ptr<char[]> partial_;   // max_line + 1: the framer's unfinished line
    std::unique_ptr<char[]> read_buf_;  // kReadBytes
    LineFramer framer_;
    bool finished_ = false;
    bool paused_ = false;
    bool eof_pending_ = false;  // EOF seen while paused: finish() on resume()
};

}  // namespace p2p::shell

// The console's input side, driven by the reactor.
//
// On a terminal (stdin and stdout both ttys) and with libedit built in
// (P2P_HAVE_LIBEDIT), it is libedit through its readline-compatible callback
// interface: the app watches stdin with the EventLoop and calls feed() when it
// is readable; libedit reads the keys, edits the line, keeps history and
// completes with Tab. Events are printed above the prompt with write_lines():
// the prompt and the half-typed line are erased, the event is written, and
// libedit redraws the prompt, the line and the cursor where they were.
//
// Otherwise (pipe, service, cross build) it is the plain LineReader: one
// command per line, events written straight to stdout.
//
// Keys as in bash, irssi and weechat: Ctrl-C clears the line being typed
// (on an empty line it says how to quit, LineEditorOptions::quit_hint);
// Ctrl-D on an empty line ends input. Text is read in the locale's encoding
// and handed on as UTF-8, every character whole (read_locale_char).
//
// A terminal that hangs up (the pty closed, SSH dropped: EOF, EIO or POLLHUP
// on it) ends input like Ctrl-D, with hung_up() true.
//
// libedit keeps its state in globals, so only one LineEditor may be started
// at a time.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/event_loop.h"
#include "platform/output_queue.h"
#include "shell/ui/console.h"
#include "shell/ui/line_reader.h"

namespace p2p::shell {

struct LineEditorOptions {
    std::string prompt = "> ";
    // History file; empty: no history is loaded or saved.
    std::string history_file;
    int history_size = 500;
    // false: never use libedit, even on a terminal.
    bool allow_libedit = true;
    // Said (LineHandler::on_input_note) when Ctrl-C is pressed on an empty
    // line: how this program is left. Empty: nothing is said.
    std::string quit_hint;
    // Paste guard, as in irssi: more lines than this completed at once (in one
    // wake-up of the loop, and those that follow within kPasteQuietMs) are held
    // and the prompt asks (LineHandler::paste_question) before any is handed on.
    // 0: never ask.
    std::size_t paste_lines = 5;
};

// ~/.p2pchat_history.<owner> (a node's peer id, or "attach." and its socket;
// characters other than A-Z a-z 0-9 . _ - @ become '_'), or "" when HOME is
// not set. One file per node, and each session appends only the lines it
// added, so nodes and attached shells no longer overwrite each other's.
std::string default_history_path(std::string_view owner);

class LineEditor final : public ConsoleSink,
                         public platform::IoHandler,
                         public platform::TimerHandler {
  public:
    // Supplies the peer ids Tab may complete to (the app reads the engine's
    // peer table). Called only while completing.
    using PeerIdSource = std::function<void(std::vector<std::string>& out)>;

    LineEditor(int in_fd, int out_fd, LineHandler& handler, LineEditorOptions options = {});
    ~LineEditor();
    LineEditor(const LineEditor&) = delete;
    LineEditor& operator=(const LineEditor&) = delete;

    // Chooses libedit or the plain reader and, for libedit, shows the prompt.
    // With a loop, also watches the input fd (feed() on readable) until
    // stop() or the end of input. A stream that has ended is not restarted.
    void start(platform::EventLoop* loop = nullptr);
    // Restores the terminal, saves the history and stops watching the input.
    // Safe to call twice, and from inside LineHandler callbacks (on /quit);
    // the LineEditor must not be destroyed from inside them.
    void stop();

    // True when libedit owns the terminal (and so colour and the prompt apply).
    bool interactive() const { return mode_ == Mode::kEditor; }
    bool started() const { return mode_ != Mode::kStopped; }
    // The terminal went away (input ended with EOF, EIO or a hangup while
    // libedit had it): set before LineHandler::on_eof is called.
    bool hung_up() const { return hung_up_; }
    // In editor mode under a locale that is not UTF-8: one line telling the
    // person which letters cannot be typed and how to fix it; "" otherwise.
    // The app shows it once its console is up.
    std::string locale_note() const;
    // ConsoleSink: terminal width (80 when not a terminal), asked per event
    // so a resized window wraps at its new width.
    int columns() const override;

    // Backpressure from the app (the node's user queue is full): stop reading
    // the input (the terminal or the pipe fills up and blocks the writer)
    // and hold back lines already read; resume_input() hands them on and
    // reads again. Both callable from LineHandler::on_line.
    void pause_input();
    void resume_input();
    bool input_paused() const { return input_paused_; }

    // stdin is readable.
    void feed();
    void on_io(int fd, std::uint32_t events) override;
    // An input the poller cannot watch (a regular file, /dev/null) is read
    // one chunk per loop iteration from a zero-delay timer instead.
    void on_timer(std::uint64_t tag) override;

    // ConsoleSink: complete lines, printed above the prompt in editor mode.
    void write_lines(std::string_view lines) override;
    // The same for another fd sharing the terminal (stderr, for log lines):
    // without this, a log line would land in the middle of the typed line.
    void write_lines_to(int fd, std::string_view lines);

    // Output to out_fd (and to fd 2, for write_lines_to) goes through these queues
    // when set, so a reader that stops never blocks the loop. They must outlive
    // the editor; set before start().
    void set_output_queues(platform::OutputQueue* out, platform::OutputQueue* err);

    void set_peer_id_source(PeerIdSource source) { peer_ids_ = std::move(source); }

    // ConsoleSink: writes that reached the screen so far, lines typed and
    // submitted included (the console amends its last line only when nothing
    // came after it).
    std::uint64_t output_count() const override { return output_count_; }
    int submitted_rows() const override {
        return output_count_ == submitted_count_ ? submitted_rows_ : 0;
    }
    // A new prompt (the /reply target in it); redrawn at once when shown.
    void set_prompt(std::string prompt);

    // Tab completion candidates for the word being typed, given the line
    // before it; exposed so that it can be tested without a terminal.
    static void completions(std::string_view line_before_word, std::string_view word,
                            const std::vector<std::string>& peer_ids,
                            std::vector<std::string>& out);

  private:
    enum class Mode { kStopped, kPlain, kEditor };

    // ---- the paste guard (line_editor_paste.cpp) ----
    // Lines typed or pasted, held until the end of the loop turn that read them.
    static constexpr MonoMs kPasteQuietMs = 20;
    static constexpr std::size_t kMaxPastedLines = 2000;
    static constexpr std::uint64_t kPasteTimerTag = 1;
    void take_line(std::string_view text);  // a line libedit completed
    void paste_turn_done();                 // feed() read all there was
    void paste_settled();                   // the quiet time after a paste ended
    void answer_paste(std::string_view answer);
    void deliver_pasted();       // hands held lines on, until input is paused
    void settle_paste_at_end();  // input ended: a short paste goes, a long one not
    std::vector<std::string> pasted_;
    std::size_t pasted_next_ = 0;  // first line of pasted_ not handed on yet
    bool asking_ = false;          // the prompt is the paste question
    std::string saved_prompt_;     // the prompt the question replaced
    platform::TimerId paste_timer_ = 0;

    bool start_editor();
    void stop_editor();
    void watch_input();
    void unwatch_input();
    void show_prompt();
    void replace_prompt(std::string prompt);  // set_prompt(), question or not
    void handle_editor_line(char* line);
    void terminal_ended();
    void erase_prompt();
    void redraw_prompt();
    void put(int fd, std::string_view data);
    void flush_editor_output();
    static void editor_line_trampoline(char* line);
    static int editor_suspend(int count, int key);
    static int editor_interrupt(int count, int key);
    static int editor_getc(FILE* in);
    static char** editor_complete_trampoline(const char* text, int start, int end);
    static char* editor_candidate(const char* text, int state);

    int in_fd_;
    int out_fd_;
    platform::EventLoop* loop_ = nullptr;
    bool polled_by_timer_ = false;
    bool input_paused_ = false;
    bool watching_ = false;  // the loop watches in_fd_ (or its poll timer runs)
    platform::TimerId timer_ = 0;
    LineHandler& handler_;
    LineEditorOptions options_;
    LineReader reader_;
    Mode mode_ = Mode::kStopped;
    bool prompt_shown_ = false;  // editor mode: prompt and line are on screen
    int history_added_ = 0;      // lines this session added: appended at the end
    bool locale_utf8_ = true;    // editor mode: the terminal's text is UTF-8
    bool hung_up_ = false;
    // Set by editor_getc inside libedit, acted on once it returns.
    bool input_ended_ = false;         // EOF or EIO on the terminal
    bool interrupt_on_empty_ = false;  // Ctrl-C on an empty line
    bool kill_pending_ = false;        // Ctrl-C pushed the kill-line key
    PeerIdSource peer_ids_;
    platform::OutputQueue* out_queue_ = nullptr;
    platform::OutputQueue* err_queue_ = nullptr;
    // libedit's rl_outstream while it runs (unused in a build without libedit).
    [[maybe_unused]] FILE* editor_out_ = nullptr;
    std::vector<std::string> candidates_;  // of the completion in progress
    std::uint64_t output_count_ = 1;       // 0 would mean "unknown" to the console
    // The line submitted last: its rows, and output_count_ right after it.
    int submitted_rows_ = 0;
    std::uint64_t submitted_count_ = 0;
};

}  // namespace p2p::shell

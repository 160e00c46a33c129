#include "shell/ui/line_editor.h"

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "platform/terminal.h"
#include "platform/terminal_codes.h"
#include "shell/ui/screen_columns.h"

#ifdef P2P_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

namespace p2p::shell {
namespace {

#ifdef P2P_HAVE_LIBEDIT
LineEditor* g_active = nullptr;  // the editor libedit's globals belong to

// libedit re-encodes the edit line into a conversion buffer that starts at
// 1024 bytes and is reallocated (leaving rl_line_buffer stale) beyond that;
// read rl_line_buffer only while the line is safely shorter.
constexpr std::size_t kSafeLineBufferBytes = 1000;

// The line being edited, in the locale's bytes; false when it cannot be read
// safely. rl_line_buffer points into the buffer el_line() converts the wide
// line into, which readline.c's _rl_update_pos then cuts at rl_end, a count
// of characters, not bytes ("世世" would read as its first two bytes). So it
// is read only while rl_end characters at their longest fit the buffer, after
// rl_copy_text (which calls el_line) has converted the whole line afresh.
bool current_line(std::string_view* out) {
    if (rl_line_buffer == nullptr || rl_end < 0 ||
        static_cast<std::size_t>(rl_end) * MB_CUR_MAX >= kSafeLineBufferBytes)
        return false;
    std::free(rl_copy_text(0, 0));
    *out = std::string_view(rl_line_buffer);
    return true;
}
// Longest the reactor waits inside libedit for the next byte of a key.
constexpr int kKeyWaitMs = 500;
// Ctrl-C: a key while libedit has the terminal (platform::pass_control_keys).
constexpr int kInterruptKey = 'C' & 0x1f;
// Ctrl-U: libedit's em-kill-line (the whole line), which Ctrl-C runs.
constexpr int kKillLineKey = 'U' & 0x1f;
#endif

}  // namespace

std::string default_history_path(std::string_view owner) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) return {};
    std::string name(owner);
    for (char& c : name) {
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@';
        if (!keep) c = '_';
    }
    return std::string(home) + "/.p2pchat_history." + name;
}

LineEditor::LineEditor(int in_fd, int out_fd, LineHandler& handler, LineEditorOptions options)
    : in_fd_(in_fd),
      out_fd_(out_fd),
      handler_(handler),
      options_(std::move(options)),
      reader_(handler) {}

LineEditor::~LineEditor() {
    stop();
}

void LineEditor::start(platform::EventLoop* loop) {
    if (mode_ != Mode::kStopped || reader_.finished()) return;
    if (!(options_.allow_libedit && start_editor())) mode_ = Mode::kPlain;
    if (!loop) return;
    loop_ = loop;
    if (!input_paused_) watch_input();
}

void LineEditor::watch_input() {
    if (!loop_ || watching_) return;
    watching_ = true;
    if (!polled_by_timer_ && loop_->watch(in_fd_, platform::kIoRead, this)) return;
    polled_by_timer_ = true;
    timer_ = loop_->schedule_in(0, this, 0);
}

void LineEditor::unwatch_input() {
    if (!loop_ || !watching_) return;
    watching_ = false;
    if (polled_by_timer_) {
        if (timer_) loop_->cancel(timer_);
        timer_ = 0;
    } else {
        loop_->unwatch(in_fd_);
    }
}

void LineEditor::pause_input() {
    if (input_paused_) return;
    input_paused_ = true;
    reader_.pause();
    unwatch_input();
}

void LineEditor::resume_input() {
    if (!input_paused_) return;
    input_paused_ = false;
    reader_.resume();  // lines read before the pause; may pause again
    if (!input_paused_ && !asking_ && paste_timer_ == 0) deliver_pasted();
    if (!input_paused_ && mode_ != Mode::kStopped) watch_input();
}

void LineEditor::on_timer(std::uint64_t tag) {
    if (tag == kPasteTimerTag) {
        paste_timer_ = 0;
        paste_settled();
        return;
    }
    timer_ = 0;
    feed();
    if (mode_ != Mode::kStopped && loop_ && watching_) timer_ = loop_->schedule_in(0, this, 0);
}

void LineEditor::stop() {
    if (paste_timer_ && loop_) loop_->cancel(paste_timer_);
    paste_timer_ = 0;
    if (mode_ == Mode::kEditor) stop_editor();
    mode_ = Mode::kStopped;
    unwatch_input();
    loop_ = nullptr;
}

int LineEditor::columns() const {
    return platform::terminal_columns(out_fd_, 80);
}

void LineEditor::on_io(int, std::uint32_t events) {
    if (mode_ == Mode::kEditor && (events & platform::kIoHangup) &&
        platform::bytes_readable(in_fd_) == 0) {
        // The terminal went away (SSH dropped): libedit would read nothing
        // forever. That is the end of input.
        terminal_ended();
        return;
    }
    feed();
}

void LineEditor::terminal_ended() {
    hung_up_ = true;
    prompt_shown_ = false;  // there is no screen left to erase it from
    settle_paste_at_end();
    // Asked while still interactive(), as for Ctrl-D: the handler tells a
    // terminal that ended from a closed pipe.
    handler_.on_eof();
    stop();
}

void LineEditor::feed() {
    switch (mode_) {
        case Mode::kStopped:
            return;
        case Mode::kPlain:
            if (!reader_.feed(in_fd_)) stop();
            return;
        case Mode::kEditor:
#ifdef P2P_HAVE_LIBEDIT
            // libedit takes one key per call; handle what is already there
            // (a paste, tmux send-keys) in this wake-up.
            for (int budget = 4096; budget > 0 && mode_ == Mode::kEditor && !input_paused_;
                 --budget) {
                rl_callback_read_char();
                if (kill_pending_) {
                    kill_pending_ = false;
                    rl_callback_read_char();  // the Ctrl-U editor_interrupt pushed
                }
                if (input_ended_) {
                    if (mode_ == Mode::kEditor) terminal_ended();
                    return;
                }
                if (interrupt_on_empty_) {
                    interrupt_on_empty_ = false;
                    if (!options_.quit_hint.empty()) handler_.on_input_note(options_.quit_hint);
                }
                if (platform::bytes_readable(in_fd_) == 0) break;
            }
            paste_turn_done();
#endif
            return;
    }
}

void LineEditor::write_lines(std::string_view lines) {
    write_lines_to(out_fd_, lines);
}

void LineEditor::write_lines_to(int fd, std::string_view lines) {
    ++output_count_;
    if (mode_ != Mode::kEditor || !prompt_shown_) {
        flush_editor_output();  // keep order with anything libedit buffered
        put(fd, lines);
        return;
    }
    erase_prompt();
    put(fd, lines);
    redraw_prompt();
}

void LineEditor::set_output_queues(platform::OutputQueue* out, platform::OutputQueue* err) {
    out_queue_ = out;
    err_queue_ = err;
}

// Through the fd's queue when there is one: a terminal or pipe nobody reads then
// costs dropped lines, never a blocked loop (platform/output_queue.h).
void LineEditor::put(int fd, std::string_view data) {
    platform::OutputQueue* q = fd == out_fd_ ? out_queue_ : fd == 2 ? err_queue_ : nullptr;
    if (q)
        q->write(data);
    else
        platform::write_all(fd, data);
}

#ifdef P2P_HAVE_LIBEDIT

bool LineEditor::start_editor() {
    if (g_active != nullptr) return false;
    // libedit's readline layer reads rl_instream/rl_outstream: stdin/stdout.
    if (in_fd_ != 0 || out_fd_ != 1) return false;
    if (!platform::is_tty(in_fd_) || !platform::is_tty(out_fd_)) return false;
    // The keys are read, and the line handed back, in the terminal's
    // encoding: the environment's locale, not the "C" a program starts in.
    locale_utf8_ = platform::adopt_locale_is_utf8();
    input_ended_ = interrupt_on_empty_ = kill_pending_ = false;

    g_active = this;
    // Signals stay with the EventLoop (SIGINT/SIGTERM via its self-pipe);
    // libedit's own handlers would re-raise them at the whole process group.
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_readline_name = "p2pchat";
    rl_instream = stdin;
    rl_outstream = stdout;
    // libedit writes the prompt and the echo itself, through stdio. With a queue on
    // stdout its descriptor is a non-blocking reopening of the terminal: libedit
    // writes there, so a stopped terminal (XOFF, a frozen serial line) loses echo
    // instead of blocking the loop. (A FILE over the queue itself, fopencookie, is no
    // use: libedit turns editing off when fileno(rl_outstream) is not a terminal.)
    if (out_queue_ && out_queue_->method() == std::string_view("reopened")) {
        int fd = ::dup(out_queue_->write_fd());
        editor_out_ = fd >= 0 ? ::fdopen(fd, "w") : nullptr;
        if (editor_out_)
            rl_outstream = editor_out_;
        else if (fd >= 0)
            ::close(fd);
    }
    // libedit reads the rest of a key sequence (after ESC, in a ^R search,
    // after ^V) with blocking reads, which would stall the reactor, links and
    // all, until the next key. Bound each wait; a lone ESC then times out.
    rl_getc_function = &LineEditor::editor_getc;
    if (rl_initialize() != 0) {
        g_active = nullptr;
        return false;
    }
    using_history();
    stifle_history(options_.history_size > 0 ? options_.history_size : 1);
    if (!options_.history_file.empty()) read_history(options_.history_file.c_str());

    // Peer ids contain '@', which readline's default word breaks split at.
    static char word_breaks[] = " \t";
    rl_basic_word_break_characters = word_breaks;
    rl_completer_word_break_characters = word_breaks;
    rl_attempted_completion_function = &LineEditor::editor_complete_trampoline;
    rl_completion_append_character = ' ';
    // Ctrl-Z would stop us with the terminal in raw mode and nothing would
    // redraw after fg (SIGCONT is not libedit's here). So the terminal hands
    // us Ctrl-Z as a key (pass_suspend_key, after each switch to raw mode)
    // and editor_suspend restores the terminal, stops, and redraws.
    rl_add_defun("p2p-suspend", &LineEditor::editor_suspend, 'Z' & 0x1f);
    // Ctrl-C, a key too (pass_control_keys), clears the line as in bash,
    // irssi and weechat (editor_interrupt); on an empty line the handler
    // hears how to quit. A SIGINT sent with kill(1) is not a key and still
    // stops the program.
    rl_parse_and_bind("bind ^U em-kill-line");
    rl_add_defun("p2p-interrupt", &LineEditor::editor_interrupt, kInterruptKey);

    mode_ = Mode::kEditor;
    show_prompt();
    return true;
}

void LineEditor::show_prompt() {
    // Arming the handler starts a new line in raw mode and prints the prompt.
    rl_callback_handler_install(options_.prompt.c_str(), &LineEditor::editor_line_trampoline);
    platform::pass_control_keys(in_fd_);
    prompt_shown_ = true;
    flush_editor_output();
}

void LineEditor::stop_editor() {
    if (prompt_shown_) {
        erase_prompt();
        prompt_shown_ = false;
    }
    rl_callback_handler_remove();  // back to cooked mode
    flush_editor_output();
    if (!options_.history_file.empty() && history_added_ > 0) {
        // Only this session's lines, appended: another session of the same
        // file keeps what it wrote. Then the file is cut to history_size.
        int size = options_.history_size > 0 ? options_.history_size : 1;
        append_history(std::min(history_added_, size), options_.history_file.c_str());
        history_truncate_file(options_.history_file.c_str(), size);
        history_added_ = 0;
        // Typed messages are private.
        platform::restrict_to_owner(options_.history_file);
    }
    rl_attempted_completion_function = nullptr;
    g_active = nullptr;
    if (editor_out_) {
        rl_outstream = stdout;
        std::fclose(editor_out_);
        editor_out_ = nullptr;
    }
}

void LineEditor::flush_editor_output() {
    if (editor_out_) {
        std::fflush(editor_out_);
        clearerr(editor_out_);  // EAGAIN on a stopped terminal: try again next time
    }
    std::fflush(stdout);
}

void LineEditor::editor_line_trampoline(char* line) {
    if (g_active)
        g_active->handle_editor_line(line);
    else
        std::free(line);
}

void LineEditor::handle_editor_line(char* line) {
    // libedit has moved to a fresh line and left raw mode: what the line
    // produces is printed plainly, then the prompt comes back below it.
    prompt_shown_ = false;
    ++output_count_;  // the typed line stays on the screen
    if (line == nullptr) {
        // Ctrl-D on an empty line. The cursor is still after the prompt.
        put(out_fd_, "\n");
        settle_paste_at_end();
        // The handler asks interactive() to tell Ctrl-D at a prompt (stop the node)
        // from a closed pipe (keep running headless): ask it before stopping.
        handler_.on_eof();
        stop();
        return;
    }
    std::string_view text(line);
    // libedit gives the line back in the locale's encoding; peers read UTF-8.
    std::string converted;
    if (!locale_utf8_) {
        platform::locale_text_to_utf8(text, &converted);
        text = converted;
    }
    // Prompt + line as libedit drew them, in rows, so the console can write the
    // echo over it: the row of the last character, in display columns as the
    // cursor is placed (screen_columns.h), plus one.
    std::size_t cols = static_cast<std::size_t>(columns() > 0 ? columns() : 80);
    std::size_t last = text.empty() ? 0 : text.size() - 1;
    while (last > 0 && (static_cast<unsigned char>(text[last]) & 0xC0) == 0x80)
        --last;
    submitted_rows_ = static_cast<int>(cursor_row(options_.prompt, text.substr(0, last), cols)) + 1;
    submitted_count_ = output_count_;
    if (text.size() > kMaxLineBytes) {
        char msg[96];
        int n = std::snprintf(msg, sizeof msg, "input line longer than %zu bytes ignored",
                              kMaxLineBytes);
        handler_.on_input_error(std::string_view(msg, static_cast<std::size_t>(n)));
    } else {
        if (text.find_first_not_of(" \t") != std::string_view::npos) {
            add_history(line);
            ++history_added_;
        }
        take_line(text);
    }
    std::free(line);
    if (mode_ == Mode::kEditor) {
        // Re-arming the handler starts a new line and prints the prompt.
        show_prompt();
    }
}

void LineEditor::replace_prompt(std::string prompt) {
    if (mode_ == Mode::kEditor && prompt_shown_) {
        erase_prompt();  // measured with the old prompt
        options_.prompt = std::move(prompt);
        rl_set_prompt(options_.prompt.c_str());
        redraw_prompt();
        return;
    }
    options_.prompt = std::move(prompt);
}

void LineEditor::erase_prompt() {
    flush_editor_output();
    int cols = columns();
    int rl_cols = 0;
    rl_get_screen_size(nullptr, &rl_cols);
    if (rl_cols != cols) rl_resize_terminal();  // we keep SIGWINCH from libedit
    if (cols <= 0) cols = 80;
    // Where the cursor is within the prompt + line, in screen rows (for a line
    // too long to read, estimated at one column a character).
    std::string_view line;
    std::size_t row = 0;
    auto width = static_cast<std::size_t>(cols);
    if (current_line(&line)) {
        line = line.substr(0, byte_offset_of(line, static_cast<std::size_t>(rl_point)));
        row = cursor_row(options_.prompt, line, width);
    } else {
        row = (options_.prompt.size() + static_cast<std::size_t>(rl_point)) / width;
    }
    // Up to the prompt's first row, to its first column, and erase to the end
    // of the screen, in one write (and without allocating: this runs per event).
    char up[platform::term::kCursorUpBytes];
    char seq[sizeof up + 8];
    std::size_t n = 0;
    auto add = [&](std::string_view part) { n += part.copy(seq + n, sizeof seq - n); };
    if (row > 0) add(platform::term::cursor_up(row, up));
    add(platform::term::kRowStart);
    add(platform::term::kEraseBelow);
    put(out_fd_, std::string_view(seq, n));
}

void LineEditor::redraw_prompt() {
    // Redraws the prompt and the whole line from the cursor's (fresh) row and
    // puts the cursor back at rl_point.
    rl_forced_update_display();
    flush_editor_output();
}

// libedit's wide-character build stores what this returns as one wchar_t
// (readline.c's _getc_function: *c = (wchar_t)i), so a key is a whole
// character, all its bytes read and decoded; handing it the bytes one by one
// made each byte of "ã" a character of its own that the line then lost.
int LineEditor::editor_getc(FILE*) {
    LineEditor* self = g_active;
    if (!self) return -1;
    char32_t c = 0;
    switch (platform::read_locale_char(self->in_fd_, kKeyWaitMs, &c)) {
        case platform::KeyRead::kChar:
            return static_cast<int>(c);
        case platform::KeyRead::kTimeout:
            return -1;
        case platform::KeyRead::kEnd:
            self->input_ended_ = true;
            return -1;
    }
    return -1;
}

// Ctrl-C. libedit's readline layer has no call that empties the line
// (rl_replace_line refuses "", rl_delete_text cannot reach the end) and its
// rl_end is current only here, in a bound function: so an empty line is
// told apart here, and a full one is emptied by pushing the kill-line key
// for feed() to hand libedit next.
int LineEditor::editor_interrupt(int, int) {
    LineEditor* self = g_active;
    if (!self) return 0;
    if (rl_end == 0) {
        self->interrupt_on_empty_ = true;
        return 0;
    }
    rl_insert(1, kKillLineKey);
    self->kill_pending_ = true;
    return 0;
}

int LineEditor::editor_suspend(int, int) {
    if (!g_active) return 0;
    g_active->erase_prompt();
    rl_deprep_terminal();  // the shell gets the terminal as it expects it
    platform::suspend_job();
    // Continued (fg): back to raw mode, prompt and line as they were.
    rl_prep_terminal(0);
    platform::pass_control_keys(g_active->in_fd_);
    g_active->redraw_prompt();
    return 0;
}

char** LineEditor::editor_complete_trampoline(const char* text, int start, int) {
    rl_attempted_completion_over = 1;  // never fall back to file names
    LineEditor* self = g_active;
    std::string_view line;
    if (!self || !current_line(&line)) return nullptr;
    // `start` counts characters, the buffer is UTF-8.
    std::string_view before =
        line.substr(0, byte_offset_of(line, static_cast<std::size_t>(start < 0 ? 0 : start)));
    std::vector<std::string> peers;
    if (self->peer_ids_) self->peer_ids_(peers);
    completions(before, text, peers, self->candidates_);
    if (self->candidates_.empty()) return nullptr;
    return rl_completion_matches(text, &LineEditor::editor_candidate);
}

char* LineEditor::editor_candidate(const char*, int state) {
    static std::size_t next = 0;
    if (state == 0) next = 0;
    LineEditor* self = g_active;
    if (!self || next >= self->candidates_.size()) return nullptr;
    return strdup(self->candidates_[next++].c_str());
}

std::string LineEditor::locale_note() const {
    if (mode_ != Mode::kEditor || locale_utf8_) return {};
    return "this terminal's locale (" + platform::locale_codeset() +
           ") is not UTF-8: letters it lacks are left out of what you type; set a UTF-8 "
           "locale (e.g. LANG=C.UTF-8) to type every script";
}

#else  // no libedit: the plain reader serves terminals too

std::string LineEditor::locale_note() const {
    return {};
}

bool LineEditor::start_editor() {
    return false;
}
void LineEditor::stop_editor() {}
void LineEditor::show_prompt() {}
void LineEditor::handle_editor_line(char* line) {
    std::free(line);
}
void LineEditor::replace_prompt(std::string prompt) {
    options_.prompt = std::move(prompt);
}

void LineEditor::erase_prompt() {}
void LineEditor::flush_editor_output() {}
void LineEditor::redraw_prompt() {}
void LineEditor::editor_line_trampoline(char* line) {
    std::free(line);
}
int LineEditor::editor_suspend(int, int) {
    return 0;
}
int LineEditor::editor_interrupt(int, int) {
    return 0;
}
int LineEditor::editor_getc(FILE*) {
    return -1;
}
char** LineEditor::editor_complete_trampoline(const char*, int, int) {
    return nullptr;
}
char* LineEditor::editor_candidate(const char*, int) {
    return nullptr;
}

#endif

}  // namespace p2p::shell

// The paste guard of LineEditor (line_editor.h, LineEditorOptions::paste_lines): a
// paste of many lines into the prompt asks before anything is sent, as irssi does
// ("send 12 lines to bob@CIC? [y/N]").
//
// A paste is told from typing by timing: libedit hands lines over one at a time, but
// the lines of a paste all complete within one wake-up of the loop (feed() reads
// everything already waiting), where a person completes one line per Enter. So the
// lines completed in one turn are held; one line alone goes on at once (typing gets
// no delay); two or more wait kPasteQuietMs for the rest of the paste (a terminal
// may write a large one in pieces) and then go on, or, beyond paste_lines, the
// prompt becomes the question and the next line answers it. Bracketed paste mode
// (ESC[?2004h) would mark pastes exactly, but libedit does not know its ESC[200~
// and ESC[201~ markers and would insert them into the line as keys.
#include <cctype>

#include "shell/ui/line_editor.h"

namespace p2p::shell {

namespace {

bool is_yes(std::string_view answer) {
    while (!answer.empty() && answer.front() == ' ')
        answer.remove_prefix(1);
    while (!answer.empty() && answer.back() == ' ')
        answer.remove_suffix(1);
    if (answer.empty() || answer.size() > 3) return false;
    std::string lower;
    for (char c : answer)
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return lower == "y" || lower == "yes";
}

}  // namespace

void LineEditor::set_prompt(std::string prompt) {
    if (asking_) {
        saved_prompt_ = std::move(prompt);  // shown again once the question is answered
        return;
    }
    replace_prompt(std::move(prompt));
}

void LineEditor::take_line(std::string_view text) {
    if (asking_) {
        answer_paste(text);
        return;
    }
    if (options_.paste_lines == 0 || !loop_) {
        handler_.on_line(text);
        return;
    }
    if (pasted_.size() - pasted_next_ >= kMaxPastedLines) {
        handler_.on_input_error("paste longer than 2000 lines: the rest of it was not kept");
        return;
    }
    pasted_.emplace_back(text);
}

void LineEditor::paste_turn_done() {
    if (asking_ || pasted_next_ == pasted_.size()) return;
    if (paste_timer_ == 0 && pasted_.size() - pasted_next_ == 1) {
        deliver_pasted();  // one line: typed, not pasted
        return;
    }
    // Part of a paste: wait until it has all arrived.
    if (paste_timer_) loop_->cancel(paste_timer_);
    paste_timer_ = loop_->schedule_in(kPasteQuietMs, this, kPasteTimerTag);
}

void LineEditor::paste_settled() {
    std::size_t held = pasted_.size() - pasted_next_;
    if (held <= options_.paste_lines) {
        deliver_pasted();
        return;
    }
    asking_ = true;
    saved_prompt_ = options_.prompt;
    replace_prompt(handler_.paste_question(held));
}

void LineEditor::answer_paste(std::string_view answer) {
    asking_ = false;
    replace_prompt(std::move(saved_prompt_));
    saved_prompt_.clear();
    if (is_yes(answer)) {
        deliver_pasted();
        return;
    }
    std::size_t held = pasted_.size() - pasted_next_;
    pasted_.clear();
    pasted_next_ = 0;
    handler_.on_input_note(std::to_string(held) + " pasted lines not sent");
}

void LineEditor::deliver_pasted() {
    // Several lines at once: the typed lines stay on the screen and the echoes go
    // below them (none is written over a typed line: they are not the last one).
    if (pasted_.size() - pasted_next_ > 1) ++output_count_;
    while (pasted_next_ < pasted_.size() && !input_paused_ && mode_ != Mode::kStopped && !asking_) {
        std::string line = std::move(pasted_[pasted_next_++]);
        handler_.on_line(line);
    }
    if (pasted_next_ == pasted_.size()) {
        pasted_.clear();
        pasted_next_ = 0;
    }
}

void LineEditor::settle_paste_at_end() {
    if (paste_timer_ && loop_) loop_->cancel(paste_timer_);
    paste_timer_ = 0;
    std::size_t held = pasted_.size() - pasted_next_;
    if (held == 0) return;
    if (!asking_ && held <= options_.paste_lines) {
        deliver_pasted();
        return;
    }
    pasted_.clear();
    pasted_next_ = 0;
    asking_ = false;
    handler_.on_input_note(std::to_string(held) + " pasted lines not sent: input ended first");
}

}  // namespace p2p::shell

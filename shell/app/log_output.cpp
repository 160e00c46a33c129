#include "shell/app/log_output.h"

namespace p2p::shell {

LogOutput::~LogOutput() {
    if (sink_ && logger().sink() == sink_.get()) logger().set_sink(nullptr);
}

bool LogOutput::open(const LogOutputOptions& options, std::string& error) {
    if (options.syslog || options.format == platform::LogFormat::kSyslog) {
        sink_ = std::make_unique<platform::SyslogSink>();
    } else if (!options.file.empty()) {
        auto file = std::make_unique<platform::FileSink>();
        if (!file->open(options.file, &error)) return false;
        file_ = file.get();
        sink_ = std::move(file);
    } else if (platform::use_journal_format(options.format, 2)) {
        auto journal = std::make_unique<platform::JournalSink>(2);
        queue_ = &journal->queue();
        sink_ = std::move(journal);
    } else {
        bool colour = platform::colour_enabled(options.colour, 2);
        auto err = std::make_unique<platform::StderrSink>(
            2,
            colour ? platform::StderrSink::Colour::kAlways : platform::StderrSink::Colour::kNever);
        queue_ = &err->queue();
        sink_ = std::move(err);
    }
    logger().set_sink(sink_.get());
    return true;
}

bool LogOutput::reopen(std::string& error) {
    return !file_ || file_->reopen(&error);
}

}  // namespace p2p::shell

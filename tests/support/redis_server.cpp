#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "tests/support/temp_path.h"

namespace p2p::test {

namespace {

using namespace std::chrono_literals;

std::string on_path(const std::string& name) {
    const char* path = ::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

// A loopback port free right now (the kernel's pick for port 0).
std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

}  // namespace

std::string RedisServer::program() {
    return on_path("redis-server");
}

RedisServer::RedisServer() {
    std::string templ = temp_template("p2p-redis");
    if (::mkdtemp(templ.data())) dir_ = templ;
}

RedisServer::~RedisServer() {
    kill();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

bool RedisServer::start(std::string* err) {
    std::string redis = program();
    if (redis.empty()) {
        *err = "redis-server is not installed (apt-get install redis-server; .ci/setup does)";
        return false;
    }
    // A port picked now may be taken before redis binds it: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (port_ == 0 || attempt > 0) port_ = free_port();
        proc_ = std::make_unique<Process>();
        if (!proc_->start(redis,
                          {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
                           "--save", "", "--appendonly", "no", "--logfile", ""},
                          {}, err))
            return false;
        if (proc_->wait_for_line("Ready to accept connections", 10s)) {
            running_ = true;
            return true;
        }
        proc_->kill_now();
    }
    *err = "redis-server did not start: " + proc_->dump();
    return false;
}

void RedisServer::kill() {
    if (!running_) return;
    resume();
    proc_->kill_now();
    running_ = false;
}

bool RedisServer::pause() {
    return running_ && proc_->send_signal(SIGSTOP);
}

bool RedisServer::resume() {
    return running_ && proc_->send_signal(SIGCONT);
}

std::string RedisServer::cli(const std::string& command) {
    std::string redis_cli = on_path("redis-cli");
    if (redis_cli.empty()) return "<no redis-cli>";
    std::string line = redis_cli + " -p " + std::to_string(port_) + " " + command;
    FILE* f = ::popen(line.c_str(), "r");
    if (!f) return "<popen failed>";
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    ::pclose(f);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

}  // namespace p2p::test

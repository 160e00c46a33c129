#include "platform/resolver.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

namespace p2p::platform {
namespace {

struct Answer {
    Resolver::RequestId id = 0;
    bool ok = false;
    SockAddr addr;
    std::string error;
};

struct Job {
    Resolver::RequestId id = 0;
    std::string host;
    std::uint16_t port = 0;
};

// What the worker thread shares with the loop. Held by shared_ptr so that a
// worker stuck in a slow getaddrinfo when the Resolver is destroyed can be
// detached and finish on its own without touching freed memory.
struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Job> todo;
    std::deque<Answer> done;
    bool stopping = false;
    bool busy = false;
    int wake_fd = -1;  // write end of the pipe the loop watches
    Resolver::LookupFn lookup;

    ~Shared() {
        if (wake_fd >= 0) ::close(wake_fd);
    }
};

void worker_main(std::shared_ptr<Shared> sh) {
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(sh->mu);
            sh->cv.wait(lock, [&] { return sh->stopping || !sh->todo.empty(); });
            if (sh->stopping) return;
            job = std::move(sh->todo.front());
            sh->todo.pop_front();
            sh->busy = true;
        }
        Answer a;
        a.id = job.id;
        a.ok = sh->lookup(job.host, job.port, a.addr, a.error);
        {
            std::lock_guard<std::mutex> lock(sh->mu);
            sh->busy = false;
            if (sh->stopping) return;
            sh->done.push_back(std::move(a));
        }
        unsigned char b = 1;
        // Non-blocking: a full pipe already guarantees the loop will look.
        ssize_t w = ::write(sh->wake_fd, &b, 1);
        (void)w;
    }
}

}  // namespace

struct Resolver::Impl final : IoHandler, TimerHandler {
    Impl(EventLoop& l, LookupFn fn) : loop(l), shared(std::make_shared<Shared>()) {
        shared->lookup = std::move(fn);
    }

    ~Impl() {
        *alive = false;
        if (local_timer) loop.cancel(local_timer);
        if (read_fd >= 0) {
            loop.unwatch(read_fd);
            ::close(read_fd);
        }
        if (!worker.joinable()) return;
        bool busy;
        {
            std::lock_guard<std::mutex> lock(shared->mu);
            shared->stopping = true;
            busy = shared->busy;
        }
        shared->cv.notify_all();
        // An idle worker exits at once; one inside getaddrinfo may take the
        // resolver's full timeout, which must not hold up shutdown.
        if (busy) {
            worker.detach();
        } else {
            worker.join();
        }
    }

    bool start_worker() {
        int fds[2];
#if defined(__linux__)
        if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
#else
        if (pipe(fds) != 0) return false;
        for (int fd : fds) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
#endif
        if (!loop.watch(fds[0], kIoRead, this)) {
            ::close(fds[0]);
            ::close(fds[1]);
            return false;
        }
        read_fd = fds[0];
        shared->wake_fd = fds[1];
        worker = std::thread(worker_main, shared);
        return true;
    }

    // Answers produced on the loop thread (numeric hosts, refusals) wait for
    // a zero-delay timer so callers always see the callback later.
    void answer_later(Answer a) {
        local.push_back(std::move(a));
        if (!local_timer) local_timer = loop.schedule_in(0, this, 0);
    }

    void on_timer(std::uint64_t) override {
        local_timer = 0;
        std::deque<Answer> batch;
        batch.swap(local);
        deliver(batch);
    }

    void on_io(int fd, std::uint32_t) override {
        unsigned char buf[64];
        while (::read(fd, buf, sizeof buf) > 0) {
        }
        std::deque<Answer> batch;
        {
            std::lock_guard<std::mutex> lock(shared->mu);
            batch.swap(shared->done);
        }
        // Cancelled lookups occupied the worker too: count every answer.
        worker_pending -= batch.size();
        deliver(batch);
    }

    void deliver(std::deque<Answer>& batch) {
        std::shared_ptr<bool> still = alive;
        for (Answer& a : batch) {
            auto it = callbacks.find(a.id);
            if (it == callbacks.end()) continue;  // cancelled
            Callback cb = std::move(it->second);
            callbacks.erase(it);
            cb(a.ok, a.addr, a.error);
            if (!*still) return;  // a callback destroyed the Resolver
        }
    }

    EventLoop& loop;
    std::shared_ptr<Shared> shared;
    std::thread worker;
    int read_fd = -1;
    std::unordered_map<RequestId, Callback> callbacks;
    std::deque<Answer> local;
    TimerId local_timer = 0;
    RequestId next_id = 1;
    std::size_t worker_pending = 0;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

Resolver::Resolver(EventLoop& loop) : Resolver(loop, &Resolver::system_lookup) {}

Resolver::Resolver(EventLoop& loop, LookupFn lookup)
    : impl_(std::make_unique<Impl>(loop, lookup ? std::move(lookup) : &Resolver::system_lookup)) {}

Resolver::~Resolver() = default;

void Resolver::resolve(const std::string& host, std::uint16_t port, Callback done) {
    start(host, port, std::move(done));
}

Resolver::RequestId Resolver::start(const std::string& host, std::uint16_t port, Callback done) {
    Impl& im = *impl_;
    RequestId id = im.next_id++;
    im.callbacks.emplace(id, std::move(done));

    Answer a;
    a.id = id;
    if (host.empty()) {
        a.error = "empty host name";
        im.answer_later(std::move(a));
        return id;
    }
    if (parse_numeric_addr(host, port, a.addr)) {
        a.ok = true;
        im.answer_later(std::move(a));
        return id;
    }
    if (im.worker_pending >= kMaxPending) {
        a.error = "cannot resolve " + host + ": resolver busy";
        im.answer_later(std::move(a));
        return id;
    }
    if (!im.worker.joinable() && !im.start_worker()) {
        a.error = "cannot resolve " + host + ": no resolver thread: " + std::strerror(errno);
        im.answer_later(std::move(a));
        return id;
    }
    {
        std::lock_guard<std::mutex> lock(im.shared->mu);
        im.shared->todo.push_back(Job{id, host, port});
    }
    ++im.worker_pending;
    im.shared->cv.notify_one();
    return id;
}

void Resolver::cancel(RequestId id) {
    impl_->callbacks.erase(id);
}

bool Resolver::system_lookup(const std::string& host, std::uint16_t port, SockAddr& out,
                             std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
        error = "cannot resolve " + host + ": " +
                (rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc));
        return false;
    }
    const addrinfo* pick = nullptr;
    for (const addrinfo* ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
        if (!pick && ai->ai_family == AF_INET6) pick = ai;
    }
    if (!pick || pick->ai_addrlen > sizeof out.storage) {
        freeaddrinfo(res);
        error = "cannot resolve " + host + ": no IPv4 or IPv6 address";
        return false;
    }
    out = SockAddr{};
    std::memcpy(&out.storage, pick->ai_addr, pick->ai_addrlen);
    out.len = static_cast<socklen_t>(pick->ai_addrlen);
    if (out.storage.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);
    } else {
        reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
    }
    freeaddrinfo(res);
    return true;
}

}  // namespace p2p::platform

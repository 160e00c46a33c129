// Test double for the BSD <sys/event.h>, for Linux builds of the poller tests
// only. It provides exactly the kqueue()/kevent() subset that
// platform/poller_kqueue.cpp uses (read/write filters; EV_ADD, EV_DELETE,
// EV_ENABLE, EV_DISABLE; EV_EOF and EV_ERROR on output), implemented over
// epoll in kqueue_double.cpp. EV_CLEAR (edge-triggered) is deliberately
// absent: the backend does not use it, and the double could not model it per
// filter. Layout follows FreeBSD's struct kevent minus the ext[] words.
#pragma once
// Treated like the real system header it stands in for: the BSD API names a
// function and a struct both `kevent`, which -Wshadow would flag in our code.
#pragma GCC system_header
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kevent {
    uintptr_t ident;  // the fd
    short filter;     // EVFILT_*
    unsigned short flags;
    unsigned int fflags;
    intptr_t data;  // read: bytes available; EV_ERROR: errno; EV_EOF: socket error
    void* udata;
};

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)

#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

#define EV_SET(kevp, a, b, c, d, e, f) \
    do {                               \
        struct kevent* ev_ = (kevp);   \
        ev_->ident = (a);              \
        ev_->filter = (b);             \
        ev_->flags = (c);              \
        ev_->fflags = (d);             \
        ev_->data = (e);               \
        ev_->udata = (f);              \
    } while (0)

int kqueue(void);
int kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist,
           int nevents, const struct timespec* timeout);

#ifdef __cplusplus
}
#endif

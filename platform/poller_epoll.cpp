// Epoll backend: being written (see platform/poller.h).

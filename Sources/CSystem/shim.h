#ifndef ASYNCGATE_CSYSTEM_SHIM_H
#define ASYNCGATE_CSYSTEM_SHIM_H
// Linux system interfaces the Glibc Swift module does not export: epoll and eventfd.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif

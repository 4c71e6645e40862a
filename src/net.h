/*
 * net.h - sockets: listen, connect, accept, and printing addresses.
 *
 * Every function here returns its errors; none of them prints or exits.
 * Addresses are resolved with getaddrinfo(), so IPv4 and IPv6 both work.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for "[" + an IPv6 address + "]:" + a port + NUL. */
#define ADDRSTRLEN 64

/*
 * tcp_listen: a socket listening on host:port with SO_REUSEADDR set.
 * host NULL means every address (getaddrinfo's AI_PASSIVE); port "0" lets
 * the kernel choose.
 * Tries each address getaddrinfo() returns until one binds.
 * Returns the descriptor (close-on-exec), or -1 with *gaierr set to the
 * getaddrinfo() error (for gai_strerror) when the name did not resolve,
 * or -1 with *gaierr set to 0 and errno set when a socket call failed
 * (EADDRINUSE, EACCES, ...).
 */
int tcp_listen(const char *host, const char *port, int backlog, int *gaierr);

/*
 * tcp_connect: a socket connected to host:port, trying each address
 * getaddrinfo() returns in turn.  Errors are reported as for tcp_listen().
 */
int tcp_connect(const char *host, const char *port, int *gaierr);

/*
 * accept_retry: the next connection on the listening socket lfd, as a
 * close-on-exec, blocking descriptor.  Retries by itself after EINTR and after the
 * errors accept(2) returns for a connection that failed before it was
 * accepted (ECONNABORTED, EPROTO, ENETDOWN, ...): none of those says
 * anything about lfd.  Returns -1 with errno set for any other error:
 * the caller decides between backing off (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM, see accept_resource_error()) and giving up.  On a non-blocking
 * lfd, -1 with EAGAIN or EWOULDBLOCK when no connection is queued.
 */
int accept_retry(int lfd);

/* nonblocking_mode: sets (on) or clears O_NONBLOCK.  Returns 0, or -1 with errno. */
int nonblocking_mode(int fd, int on);

/* accept_resource_error: nonzero when err means "out of descriptors or
 * memory for now", which passes once other connections end. */
int accept_resource_error(int err);

/*
 * sockaddr_format: "127.0.0.1:40123" or "[::1]:40123" into buf.
 * Returns 0, or -1 when the address is not printable (buf then holds "?").
 */
int sockaddr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len);

/* local_name, peer_name: sockaddr_format() of fd's own or peer address. */
int local_name(int fd, char *buf, size_t len);
int peer_name(int fd, char *buf, size_t len);

#endif

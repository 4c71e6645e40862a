/*
 * poll-server.c - a correct echo server of another design: one process,
 * non-blocking sockets, poll().  No children, so the reaping clauses hold
 * trivially; `make mutants` requires it to pass, which shows that the suite
 * does not insist on fork-per-connection.
 *
 * Each connection holds at most one chunk that is not yet echoed; while it
 * does, the server waits for that client to read (POLLOUT) rather than
 * reading more from it, so a client that never reads holds only itself up.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plumbing.h"

#define MAXCONN 1024

struct conn {
	size_t off, len;	/* buf[off, len) is read but not yet echoed */
	char buf[16384];
};

/* Slot 0 is the listening socket; slots 1..nfds-1 are connections. */
static struct pollfd fds[MAXCONN + 1];
static struct conn conns[MAXCONN + 1];
static nfds_t nfds = 1;

/* drop: close slot i and move the last slot into it. */
static void
drop(nfds_t i)
{
	(void)close(fds[i].fd);
	nfds--;
	fds[i] = fds[nfds];
	conns[i] = conns[nfds];
}

static void
add(int fd)
{
	if (set_nonblocking(fd) < 0) {
		(void)close(fd);
		return;
	}
	fds[nfds].fd = fd;
	fds[nfds].revents = 0;
	conns[nfds].off = conns[nfds].len = 0;
	nfds++;
}

/* step: move what can move on connection i now; 0, or -1 when it is done. */
static int
step(nfds_t i)
{
	struct conn *c = &conns[i];
	ssize_t n;

	if (c->off == c->len) {
		n = read(fds[i].fd, c->buf, sizeof c->buf);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off = 0;
		c->len = (size_t)n;
	}
	n = write(fds[i].fd, c->buf + c->off, c->len - c->off);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->off += (size_t)n;
	return 0;
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;
	nfds_t i;

	/* A write to a reset connection must fail with EPIPE, not end the server. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || set_nonblocking(lfd) < 0)
		die("setup");
	fds[0].fd = lfd;
	for (;;) {
		fds[0].events = nfds <= MAXCONN ? POLLIN : 0;
		for (i = 1; i < nfds; i++)
			fds[i].events = conns[i].off < conns[i].len ? POLLOUT : POLLIN;
		if (poll(fds, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* Downwards, so that drop() moves in a slot already seen. */
		for (i = nfds - 1; i > 0; i--)
			if (fds[i].revents != 0 && step(i) < 0)
				drop(i);
		while ((fds[0].revents & POLLIN) && nfds <= MAXCONN &&
		    (connfd = accept(lfd, NULL, NULL)) >= 0)
			add(connfd);
	}
}

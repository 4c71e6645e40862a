/*
 * prefork-epoll.c - a correct echo server of another design, nginx's: the
 * process started forks three workers, forwards SIGTERM to them and exits
 * once they have ended; each worker accepts from the shared, non-blocking
 * listening socket and serves every connection it accepted itself, with
 * epoll, in one process.  A worker thus holds many connections, and the
 * listening socket: `make mutants` requires it to pass.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net.h"
#include "plumbing.h"

#define EVENTS 64
#define PAUSE_MS 100

/* One client's connection, with what was read and is not yet written back. */
struct conn {
	int fd;
	size_t len, off;
	char buf[16384];
};

static int ep = -1;
static int freed;	/* a connection was dropped: a descriptor came free */

static void
watch(struct conn *c, int op, uint32_t events)
{
	struct epoll_event ev;

	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(ep, op, c->fd, &ev) < 0)
		die("epoll_ctl");
}

static void
drop(struct conn *c)
{
	(void)close(c->fd);	/* also takes it out of the epoll set */
	free(c);
	freed = 1;
}

/* Write what is pending; 0 when written or the socket is full, -1 on error. */
static int
flush(struct conn *c)
{
	ssize_t n;

	while (c->off < c->len) {
		n = write(c->fd, c->buf + c->off, c->len - c->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->off += (size_t)n;
	}
	c->len = c->off = 0;
	return 0;
}

/*
 * One readiness event: write what is pending, or else read one buffer and
 * write it back.  A connection is watched for input only while nothing of
 * its echo is pending, so a client that does not read stops being read
 * and delays no one; the end of file is read only once all is written.
 */
static void
on_event(struct conn *c)
{
	ssize_t n;

	if (c->len == 0) {
		n = read(c->fd, c->buf, sizeof c->buf);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
			drop(c);
			return;
		}
		c->len = n > 0 ? (size_t)n : 0;
	}
	if (flush(c) < 0) {
		drop(c);
		return;
	}
	watch(c, EPOLL_CTL_MOD, c->len > 0 ? EPOLLOUT : EPOLLIN);
}

/*
 * Take every waiting connection; another worker may have taken them first.
 * Out of descriptors (or memory), the worker stops watching the listening
 * socket and serves the clients it has until one leaves or PAUSE_MS pass
 * with nothing to do: the connections stay queued, and a retry at once
 * would only fail again.  Returns whether it paused.
 */
static int
accept_waiting(int lfd)
{
	struct conn *c;
	int connfd;

	for (;;) {
		if ((connfd = accept_retry(lfd)) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (!accept_resource_error(errno))
				die("accept");
			if (epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL) < 0)
				die("epoll_ctl");
			return 1;
		}
		if (set_nonblocking(connfd) < 0 || (c = malloc(sizeof *c)) == NULL) {
			(void)report_error("accept");
			(void)close(connfd);
			continue;
		}
		c->fd = connfd;
		c->len = c->off = 0;
		watch(c, EPOLL_CTL_ADD, EPOLLIN);
	}
}

static void
watch_listener(int lfd)
{
	struct epoll_event ev;

	ev.events = EPOLLIN;
	ev.data.ptr = NULL;	/* the listening socket */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll_ctl");
}

static void
work(int lfd)
{
	struct epoll_event events[EVENTS];
	int i, n, paused = 0;

	if ((ep = epoll_create1(0)) < 0)
		die("epoll_create1");
	watch_listener(lfd);
	for (;;) {
		if ((n = epoll_wait(ep, events, EVENTS, paused ? PAUSE_MS : -1)) < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		freed = 0;
		for (i = 0; i < n; i++) {
			if (events[i].data.ptr == NULL)
				paused = accept_waiting(lfd);
			else
				on_event(events[i].data.ptr);
		}
		if (paused && (n == 0 || freed)) {
			watch_listener(lfd);
			paused = 0;
		}
	}
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);

	/* A reset peer must fail one write with EPIPE, not end the worker. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("signal");
	if (set_nonblocking(lfd) < 0)
		die("fcntl");
	supervise(lfd, 3, work);
}

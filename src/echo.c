/*
 * echo.c - the echo loops: the server's str_echo() and the client's str_cli().
 */
/*
 * splice(2), pipe2(2), F_SETPIPE_SZ: str_echo's fast path, Linux's own.
 * An ECHO_PORTABLE build leaves it out, so the read()/write() path that
 * other systems take is built and tested on Linux too (mk/reference.mk).
 */
#if defined(__linux__) && !defined(ECHO_PORTABLE)
#define _GNU_SOURCE
#define HAVE_SPLICE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"

/*
 * str_cli's buffers: 64 KiB moves a loopback TCP segment train in one call
 * each way.
 */
#define STR_CLI_BUFSIZE 65536

/*
 * str_echo's own buffer is small, because every stack page a child touches
 * is a private page of its own: a 64 KiB buffer put its first byte a page
 * away from the other frames, and with 1 KiB instead of 4 KiB the frames
 * often share one page (the figures are in bench/README.md).  A read that
 * fills it means a stream, which goes to echo_splice().
 */
#define STR_ECHO_BUFSIZE 1024

/*
 * A stream that splice() does not take (other systems, ECHO_PORTABLE)
 * moves through a buffer this large, allocated only then, so that an
 * idle child never has it.  In 1 KiB pieces a stream costs a read() and
 * a write() per KiB, and the portable build echoed a third to a half of
 * what splice() does; 64 KiB, a loopback segment train in one call,
 * brings it close (bench/README.md, "The portable build").
 */
#define STREAM_BUFSIZE 65536

/*
 * echo_splice's pipe: 256 KiB moves more per call than the default 64 KiB
 * (less server CPU per echoed byte: bench/README.md) and stays well inside the
 * 64 MiB an unprivileged user's pipes may hold in all (fs.pipe-user-pages-soft).
 */
#define SPLICE_PIPE_SIZE 262144

int
writen(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#ifdef HAVE_SPLICE
/*
 * echo_splice: the fast path for a stream.  The bytes go from fd into a
 * pipe and from the pipe back to fd with splice(2), so they are never
 * copied to or from user memory; whatever one splice() takes in goes back
 * out at once, as read() and write() would do it.  It takes less than half
 * the server CPU that read() and write() take for a bulk echo
 * (bench/README.md).
 * Adds every byte moved to *total.  Returns 0 at EOF, -1 with errno on an
 * error, 1 when splice() does not work on fd and nothing was moved yet:
 * the caller then goes on with read() and write().
 */
static int
echo_splice(int fd, uint64_t *total)
{
	int pfd[2], rc, saved_errno, moved = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 1;
	/* A refusal (EPERM over the user's pipe quota) leaves the default size. */
	(void)fcntl(pfd[1], F_SETPIPE_SZ, SPLICE_PIPE_SIZE);
	for (;;) {
		ssize_t n = splice(fd, NULL, pfd[1], NULL, SPLICE_PIPE_SIZE, SPLICE_F_MOVE);

		if (n == 0) {
			rc = 0;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = !moved && (errno == EINVAL || errno == ENOSYS) ? 1 : -1;
			break;
		}
		moved = 1;
		while (n > 0) {
			ssize_t w = splice(pfd[0], NULL, fd, NULL, (size_t)n, SPLICE_F_MOVE);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				break;
			n -= w;
			*total += (uint64_t)w;
		}
		if (n > 0) {
			rc = -1;
			break;
		}
	}
	saved_errno = errno;
	(void)close(pfd[0]);
	(void)close(pfd[1]);
	errno = saved_errno;
	return rc;
}
#else
/* splice(2) is Linux's: elsewhere streams take the read()/write() path. */
static int
echo_splice(int fd, uint64_t *total)
{
	(void)fd;
	(void)total;
	return 1;
}
#endif

int
str_echo(int fd, uint64_t *echoed)
{
	char small[STR_ECHO_BUFSIZE], *buf = small, *big = NULL;
	size_t size = sizeof small;
	uint64_t total = 0;
	int rc, saved_errno, streaming = 0;

	for (;;) {
		ssize_t n = read(fd, buf, size);

		if (n > 0) {
			if (writen(fd, buf, (size_t)n) < 0) {
				rc = -1;
				break;
			}
			total += (uint64_t)n;
			if (!streaming && (size_t)n == sizeof small) {
				streaming = 1;
				rc = echo_splice(fd, &total);
				if (rc != 1)
					break;
				/* Without the big buffer it goes on 1 KiB at a time. */
				big = malloc(STREAM_BUFSIZE);
				if (big != NULL) {
					buf = big;
					size = STREAM_BUFSIZE;
				}
			}
		} else if (n == 0) {
			rc = 0;
			break;
		} else if (errno != EINTR) {
			rc = -1;
			break;
		}
	}
	saved_errno = errno;
	free(big);
	errno = saved_errno;
	if (echoed != NULL)
		*echoed = total;
	return rc;
}

/*
 * Bytes read from `in` but not yet accepted by the socket.  Writes to the
 * socket never block (it is non-blocking), because a blocked write would
 * stop us reading the echo, and a server blocked writing that echo back to
 * us would then stop reading our data: both sides would wait forever once
 * the socket buffers fill.
 */
struct pending {
	char buf[STR_CLI_BUFSIZE];
	size_t off, len;
};

/* Sends what the socket takes now.  Returns 0, or -1 with errno set. */
static int
flush_pending(int sock, struct pending *p)
{
	while (p->len > 0) {
		ssize_t w = write(sock, p->buf + p->off, p->len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		p->off += (size_t)w;
		p->len -= (size_t)w;
	}
	return 0;
}

enum cli_status
str_cli(int in, int out, int sock)
{
	struct pending tosock;
	char buf[STR_CLI_BUFSIZE];
	struct pollfd pfd[2];
	uint64_t sent = 0, received = 0;
	int in_open = 1, wr_open = 1;
	int flags;
	ssize_t n;

	tosock.off = tosock.len = 0;
	flags = fcntl(sock, F_GETFL);
	if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0)
		return CLI_NET_ERROR;

	for (;;) {
		/* Read more input only once the last piece has gone out. */
		pfd[0].fd = in_open && tosock.len == 0 ? in : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = sock;
		pfd[1].events = POLLIN | (tosock.len > 0 ? POLLOUT : 0);
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return CLI_IO_ERROR;
		}

		if (pfd[1].revents & ~POLLOUT) {
			n = read(sock, buf, sizeof buf);
			if (n == 0)
				return in_open || tosock.len > 0 || received < sent ?
				    CLI_PREMATURE : CLI_OK;
			if (n < 0) {
				if (errno != EINTR && errno != EAGAIN &&
				    errno != EWOULDBLOCK)
					return CLI_NET_ERROR;
			} else {
				received += (uint64_t)n;
				if (writen(out, buf, (size_t)n) < 0)
					return CLI_IO_ERROR;
			}
		}

		if (pfd[0].revents != 0) {
			n = read(in, tosock.buf, sizeof tosock.buf);
			if (n > 0) {
				tosock.off = 0;
				tosock.len = (size_t)n;
			} else if (n == 0) {
				in_open = 0;
			} else if (errno != EINTR) {
				return CLI_IO_ERROR;
			}
		}

		if (tosock.len > 0) {
			size_t before = tosock.len;

			if (flush_pending(sock, &tosock) < 0)
				return CLI_NET_ERROR;
			sent += before - tosock.len;
		}

		/* Our EOF goes to the server only after every byte before it. */
		if (!in_open && tosock.len == 0 && wr_open) {
			if (shutdown(sock, SHUT_WR) < 0)
				return CLI_NET_ERROR;
			wr_open = 0;
		}
	}
}

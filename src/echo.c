/*
 * echo.c - the echo loops: the server's str_echo() and the client's str_cli().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"

/*
 * 64 KiB moves a loopback TCP segment train in one call each way; a bigger
 * buffer buys nothing measurable and costs every child more stack.
 */
#define ECHO_BUFSIZE 65536

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

int
str_echo(int fd, uint64_t *echoed)
{
	char buf[ECHO_BUFSIZE];
	uint64_t total = 0;
	int rc;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n > 0) {
			if (writen(fd, buf, (size_t)n) < 0) {
				rc = -1;
				break;
			}
			total += (uint64_t)n;
		} else if (n == 0) {
			rc = 0;
			break;
		} else if (errno != EINTR) {
			rc = -1;
			break;
		}
	}
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
	char buf[ECHO_BUFSIZE];
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
	char buf[ECHO_BUFSIZE];
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

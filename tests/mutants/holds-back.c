/*
 * holds-back.c - a child that gathers data into bigger writes.
 *
 * Defect: after each read it waits up to 2 s for more before it writes
 * what it holds (at once only when its buffer is full, or at the client's
 * EOF), so every echo is right but a lone chunk comes back late.
 * Expected: fails SPEC clause S-ECHO-3 (a lone chunk is echoed at once), and
 * S-ECHO-7 (each message of a request and response is back within P).
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

/* flush: write what is held; at the client's EOF, exit as well. */
static void
flush(int connfd, const char *buf, size_t *len, int eof)
{
	if (writen(connfd, buf, *len) < 0)
		_exit(1);
	*len = 0;
	if (eof)
		_exit(0);
}

static void
echo_gathered(int connfd)
{
	char buf[16384];
	size_t len = 0;
	ssize_t n;
	struct pollfd more = { connfd, POLLIN, 0 };
	int ready = 1;

	for (;;) {
		n = read(connfd, buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(1);
		if (n == 0)
			flush(connfd, buf, &len, 1);
		len += (size_t)n;
		if (len < sizeof buf)
			do
				ready = poll(&more, 1, 2000);	/* DEFECT: holds the data back */
			while (ready < 0 && errno == EINTR);
		if (ready < 0)
			_exit(1);
		if (ready == 0 || len == sizeof buf)
			flush(connfd, buf, &len, 0);
	}
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_gathered);
}

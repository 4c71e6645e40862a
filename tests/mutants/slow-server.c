/*
 * slow-server.c - a correct fork-per-connection server that is slow, as on
 * a loaded machine or in a debug build: its child waits 200 ms before each
 * write, of whatever one read returned.  It never stops reading for long,
 * so a suite whose timeouts measure silence must pass it; `make mutants`
 * requires that.
 */
#include <errno.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

/* In the child's own copy of the data segment; the parent never touches it. */
static char buf[1 << 20];

static void
echo_slowly(int connfd)
{
	ssize_t n;

	for (;;) {
		n = read(connfd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n < 0);
		sleep_ms(200);
		if (writen(connfd, buf, (size_t)n) < 0)
			_exit(1);
	}
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_slowly);
}

/*
 * idle-cut-eintr.c - a child that drops idle clients with a receive
 * timeout, and takes any failed read as the end.
 *
 * Defect: with SO_RCVTIMEO set, Linux makes a blocked read() fail with
 * EINTR once the process is stopped and continued, even without any signal
 * handler (signal(7)).  The child closes the connection then, in the middle
 * of a session, as if the client had gone idle.
 * Expected: fails SPEC clause S-ECHO-8 (a stream survives stops and
 * continues of the server).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static void
echo_with_idle_cut(int connfd)
{
	struct timeval idle = { 600, 0 };
	char buf[16384];
	ssize_t n;

	if (setsockopt(connfd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) < 0)
		_exit(1);
	while ((n = read(connfd, buf, sizeof buf)) > 0)	/* DEFECT: EINTR ends it */
		if (writen(connfd, buf, (size_t)n) < 0)
			_exit(1);
	_exit(n < 0);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_with_idle_cut);
}

/*
 * short-write-on-stop.c - writes each chunk with one blocking write() and
 * ignores its count.
 *
 * Defect: on a blocking socket write() sends everything, except when a
 * signal stops it part-way: then it returns the count sent so far.  Job
 * control's SIGSTOP does that while the write waits for a client that
 * lags, and the rest of the chunk is lost.  No stream test without a stop
 * ever sees it.
 * Expected: fails SPEC clause S-ECHO-8 (a stream survives stops and
 * continues of the server).
 */
#include <errno.h>
#include <unistd.h>

#include "plumbing.h"

static void
echo_write_once(int connfd)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(connfd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n < 0);
		if (write(connfd, buf, (size_t)n) < 0)	/* DEFECT: a short count is taken as all */
			_exit(1);
	}
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_write_once);
}

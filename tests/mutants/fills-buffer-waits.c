/*
 * fills-buffer-waits.c - a child that takes a full buffer as "more is coming".
 *
 * Defect: when a read fills its 4 KiB buffer, it keeps the data and reads
 * again before writing anything back (to gather a bigger write), up to
 * 64 KiB.  A stream flows, and any message that is not a multiple of
 * 4 KiB comes back at once; a message of exactly 4,096 or 8,192 bytes,
 * answered before the client sends more, never does.
 * Expected: fails SPEC clause S-ECHO-7 (messages at buffer edges come back
 * within P).
 */
#include <errno.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

#define CHUNK 4096

static void
echo_gathering(int connfd)
{
	char buf[16 * CHUNK];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		n = read(connfd, buf + len, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n < 0 || writen(connfd, buf, len) < 0);
		len += (size_t)n;
		if (n == CHUNK && len < sizeof buf)
			continue;	/* DEFECT: a full read is no promise of more */
		if (writen(connfd, buf, len) < 0)
			_exit(1);
		len = 0;
	}
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_gathering);
}

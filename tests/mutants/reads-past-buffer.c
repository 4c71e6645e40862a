/*
 * reads-past-buffer.c - a child that looks one byte past what it read.
 *
 * Defect: each child counts the chunks that end a line, but takes a chunk's
 * last byte at buf[n] instead of buf[n - 1]: one byte past its heap buffer
 * whenever a read fills it.  The echo itself is right, so only a memory
 * checker sees the defect, and only in the forked children, where the
 * echoing happens.
 * Expected: fails SPEC clause S-MEM-1 (under --valgrind), and nothing else.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

/* Small, so that the suite's short messages already fill a read. */
#define CHUNK 8

/* Where a real server would report the count; volatile keeps the read. */
static volatile unsigned long lines_seen;

static void
echo_counting_lines(int connfd)
{
	char *buf = malloc(CHUNK);
	ssize_t n;

	if (buf == NULL)
		_exit(1);
	while ((n = read(connfd, buf, CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (writen(connfd, buf, (size_t)n) < 0)
			_exit(1);
		lines_seen += buf[n] == '\n';	/* DEFECT: the last byte is buf[n - 1] */
	}
	free(buf);
	_exit(0);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_counting_lines);
}

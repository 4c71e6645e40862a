/*
 * client-write-all-then-read.c - sends a file given as its input whole
 * before it reads any echo.
 *
 * Defect: when stdin is a regular file it writes all of it to the server
 * first, then half-closes and reads the echo.  The echo of what it has
 * sent fills the socket buffers on the way back, the server stops reading
 * while it cannot write, and the client blocks writing: both wait for
 * ever once the input is larger than the buffers between them hold
 * (several MiB on loopback).  Smaller files and interactive use work.
 * Expected: fails SPEC clause C-BATCH-3 (input far larger than the socket
 * buffers comes back intact).
 */
#include <errno.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static int64_t
write_all(int sock, int64_t size)
{
	int64_t sent = 0;
	char buf[16384];
	ssize_t n;

	(void)size;
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read from stdin");
		if (writen(sock, buf, (size_t)n) < 0)	/* DEFECT: no echo read meanwhile */
			return -1;
		sent += n;
	}
	return sent;
}

int
main(int argc, char **argv)
{
	return run_file_client(argc, argv, write_all);
}

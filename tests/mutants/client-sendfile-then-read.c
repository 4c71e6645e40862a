/*
 * client-sendfile-then-read.c - hands a file given as its input to the
 * kernel with sendfile(2), then reads the echo.
 *
 * Defect: sendfile() does not return until the whole file is in the
 * socket, and nothing reads the echo meanwhile: once the file is larger
 * than the buffers between client and server hold, the server blocks
 * writing the echo back, stops reading, and both wait for ever.  A pipe
 * or a terminal on stdin takes the ordinary path, which works.
 * Expected: fails SPEC clause C-BATCH-3 (input far larger than the socket
 * buffers comes back intact).
 */
#include <errno.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "plumbing.h"

static int64_t
sendfile_all(int sock, int64_t size)
{
	int64_t sent = 0;
	ssize_t n;

	while (sent < size) {
		n = sendfile(sock, STDIN_FILENO, NULL, (size_t)(size - sent));	/* DEFECT */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : sent;	/* 0: the file shrank */
		sent += n;
	}
	return sent;
}

int
main(int argc, char **argv)
{
	return run_file_client(argc, argv, sendfile_all);
}

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
#include <sys/stat.h>
#include <unistd.h>

#include "plumbing.h"

static int
sendfile_then_read(int argc, char **argv, off_t size)
{
	int sock = connect_from_args(argc, argv);
	uint64_t sent = 0;
	ssize_t n;

	while ((off_t)sent < size) {
		n = sendfile(sock, STDIN_FILENO, NULL, (size_t)(size - (off_t)sent));	/* DEFECT */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return report_error("sendfile to server");
		if (n == 0)
			break;	/* the file shrank */
		sent += (uint64_t)n;
	}
	(void)half_close(sock);
	return echo_to_stdout(sock, sent);
}

static const struct client_plan plan = { send_all, half_close, check_complete, report_error };

int
main(int argc, char **argv)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return sendfile_then_read(argc, argv, st.st_size);
	return run_client(argc, argv, &plan);
}

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
#include <sys/stat.h>
#include <unistd.h>

#include "plumbing.h"

static int
write_all_then_read(int argc, char **argv)
{
	int sock = connect_from_args(argc, argv);
	uint64_t sent = 0;
	char buf[16384];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read from stdin");
		if (send_all(sock, buf, (size_t)n) < 0)	/* DEFECT: no echo read meanwhile */
			return report_error("write to server");
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
		return write_all_then_read(argc, argv);
	return run_client(argc, argv, &plan);
}

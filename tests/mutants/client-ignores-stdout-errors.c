/*
 * client-ignores-stdout-errors.c - never checks its writes to stdout.
 *
 * Defect: when standard output cannot take the echo (a full disk, a closed
 * pipe, /dev/full) the write fails and the client goes on, exiting 0: the
 * output file is short or empty and nothing says so.
 * Expected: fails SPEC clause C-OUT-1 (a failed write to standard output is
 * reported).
 */
#include <unistd.h>

#include "net.h"
#include "plumbing.h"

static int
write_unchecked(const char *buf, size_t n)
{
	(void)write(STDOUT_FILENO, buf, n);	/* DEFECT: an error or short count is lost */
	return 0;
}

static const struct client_plan plan = { send_some, half_close, check_complete, report_error };

static const struct client_io io = { tcp_connect, 1, read_stdin, write_unchecked };

int
main(int argc, char **argv)
{
	return run_client_io(argc, argv, &plan, &io);
}

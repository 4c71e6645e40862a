/*
 * client-ignores-reset.c - takes a reset connection as the end.
 *
 * Defect: when reading from or writing to the server fails (it reset the
 * connection) the client exits 0 without a word, so a script cannot tell
 * that the echo is incomplete.
 * Expected: fails SPEC clause C-RST-2 (a reset is reported as an error), and
 * C-RST-3 (the same after the end of input).  Not C-PREM-3: a server that
 * closes during an upload reaches it first as an end of file, which it
 * reports, because it reads before it writes and never waits in a write.
 */
#include "plumbing.h"

static int
quietly_done(const char *what)
{
	(void)what;
	return 0;	/* DEFECT: instead of report_error() */
}

static const struct client_plan plan = {
	send_some, half_close, check_complete, quietly_done
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

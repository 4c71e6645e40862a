/*
 * client-no-half-close.c - never tells the server its input has ended.
 *
 * Defect: without shutdown(SHUT_WR) the server never reads EOF, so it
 * never closes, and the client waits for the server's EOF forever.
 * Expected: fails SPEC clause C-BATCH-1 (batch input comes back whole, exit 0),
 * by the suite's silence timeout, and every other clause whose test needs
 * the client to end after its input does: C-BATCH-2, C-BATCH-3, C-EXACT-1,
 * C-SLOW-1, C-SLOW-2, C-RST-3, C-SHORT-1 (SHOULD); and C-INT-1, the client smoke clause, since an
 * interactive user's end of input (Ctrl-D) does not end it either.
 */
#include "plumbing.h"

static int
keep_writing_side_open(int sock)
{
	(void)sock;
	return 0;	/* DEFECT: no shutdown(sock, SHUT_WR) */
}

static const struct client_plan plan = {
	send_some, keep_writing_side_open, check_complete, report_error
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

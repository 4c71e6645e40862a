/*
 * client-loses-tail.c - stops as soon as its input ends.
 *
 * Defect: in batch mode (stdin a file or a pipe) stdin ends long before
 * the echo does; whatever is still on its way back is lost, and the exit
 * status says all went well.
 * Expected: fails SPEC clause C-SLOW-1 (an echo that comes after the input
 * ends is received), and with it every clause whose test pipes a batch in
 * and reads the whole echo back: C-BATCH-1, C-BATCH-2, C-BATCH-3, C-EXACT-1,
 * C-SLOW-2; C-RST-3, since it exits 0 before the server's reset; and
 * C-SHORT-1 (SHOULD), since losing the echo it also exits 0.
 */
#include "plumbing.h"

static int
stop_at_stdin_eof(int sock)
{
	(void)sock;
	return 1;	/* DEFECT: instead of half_close() and reading on */
}

static const struct client_plan plan = {
	send_some, stop_at_stdin_eof, check_complete, report_error
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

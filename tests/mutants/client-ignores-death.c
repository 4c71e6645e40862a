/*
 * client-ignores-death.c - takes the server's EOF as success while its
 * own input is still open.
 *
 * Defect: when the server closes while stdin is still open (it crashed,
 * or was killed) the client exits 0 without a word.
 * Expected: fails SPEC clause C-PREM-2 (a premature close is reported as an error),
 * and C-PREM-3, where the server closes while stdin still has input to send.
 */
#include <stdint.h>

#include "plumbing.h"

static int
fine_if_still_typing(int stdin_open, uint64_t sent, uint64_t echoed)
{
	if (stdin_open)
		return 0;	/* DEFECT: instead of check_complete()'s error */
	return check_complete(stdin_open, sent, echoed);
}

static const struct client_plan plan = {
	send_some, half_close, fine_if_still_typing, report_error
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

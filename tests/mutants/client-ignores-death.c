/*
 * client-ignores-death.c - takes any EOF from the server as success.
 *
 * Defect: when the server closes while stdin is still open (it crashed,
 * or was killed) the client exits 0 without a word.
 * Expected: fails SPEC clause C-PREM-2 (a premature close is reported as an error).
 */
#include <stdint.h>

#include "plumbing.h"

static int
always_fine(int stdin_open, uint64_t sent, uint64_t echoed)
{
	(void)stdin_open;
	(void)sent;
	(void)echoed;
	return 0;	/* DEFECT: instead of check_complete() */
}

static const struct client_plan plan = {
	send_all, half_close, always_fine, report_error
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

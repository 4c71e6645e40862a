/*
 * plumbing-client.c - the shared client plumbing with the correct hooks.
 * `make mutants` requires it to pass, which shows that every client mutant
 * fails for its one replaced hook and nothing else.
 */
#include "plumbing.h"

static const struct client_plan plan = { send_some, half_close, check_complete, report_error };

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

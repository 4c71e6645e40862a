/*
 * nanosleep-server.c - a correct fork-per-connection server that polls a
 * non-blocking listening socket, sleeping 10 ms whenever no connection is
 * waiting: it answers a little late but sleeps while idle.  `make mutants`
 * requires it to pass.
 */
#include "plumbing.h"

static void
nap(void)
{
	sleep_ms(10);
}

int
main(int argc, char **argv)
{
	serve_nonblocking(listen_from_args(argc, argv), reap_all, echo_and_exit, nap);
}

/*
 * spins-on-accept.c - a non-blocking listening socket polled by accept()
 * in a loop.
 *
 * Defect: when no connection is waiting it tries again at once, so the
 * idle server burns a whole CPU.  Every echo is right.
 * Expected: fails SPEC clause S-IDLE-1 (an idle server sleeps).
 */
#include "plumbing.h"

static void
try_again(void)
{
	/* DEFECT: no pause, as nanosleep-server.c takes */
}

int
main(int argc, char **argv)
{
	serve_nonblocking(listen_from_args(argc, argv), reap_all, echo_and_exit, try_again);
}

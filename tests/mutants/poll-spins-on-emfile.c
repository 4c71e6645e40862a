/*
 * poll-spins-on-emfile.c - the single-process poll() server of
 * poll-server.c, but for what it does when accept() runs out of
 * descriptors.
 *
 * Defect: after EMFILE it goes on watching the listening socket.  The
 * connection stays queued, so the socket stays readable: poll() returns
 * at once and accept() fails again, a whole CPU busy until a client
 * leaves.  The clients it has are still served, and new ones once a
 * descriptor is free.
 * Expected: fails SPEC clause S-IDLE-1 (an idle server sleeps, also with
 * its descriptors used up).
 */
#include "plumbing.h"

static int
keep_listening(int err)
{
	(void)err;
	return 0;	/* DEFECT: pause_until_one_leaves() stops watching */
}

static const struct poll_plan plan = { one_way_at_a_time, keep_listening };

int
main(int argc, char **argv)
{
	serve_poll(listen_from_args(argc, argv), &plan);
}

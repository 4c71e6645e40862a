/*
 * poll-spins-on-full-output.c - the single-process poll() server of
 * poll-server.c, but for the events it asks of a connection.
 *
 * Defect: it always asks for input (POLLIN), also while a chunk waits to
 * be echoed to a client that does not read.  That client's next data
 * keeps its socket readable, but the server will not read before it has
 * written: poll() returns at once, for ever, and the server burns a whole
 * CPU until the client reads or leaves.  Every echo is right, and others
 * are served.
 * Expected: fails SPEC clause S-IDLE-1 (an idle server sleeps, also
 * while a client writes without reading).
 */
#include <poll.h>

#include "plumbing.h"

static short
always_input(int pending)
{
	/* DEFECT: POLLIN even while pending, as if it would read */
	return pending ? POLLIN | POLLOUT : POLLIN;
}

static const struct poll_plan plan = { always_input, pause_until_one_leaves };

int
main(int argc, char **argv)
{
	serve_poll(listen_from_args(argc, argv), &plan);
}

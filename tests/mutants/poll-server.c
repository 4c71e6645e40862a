/*
 * poll-server.c - a correct echo server of another design: one process,
 * non-blocking sockets, poll() (serve_poll() in plumbing.c).  No children,
 * so the reaping clauses hold trivially; `make mutants` requires it to
 * pass, which shows that the suite does not insist on fork-per-connection.
 *
 * While a connection holds a chunk not yet echoed, the server waits for
 * that client to read (POLLOUT) rather than reading more from it, so a
 * client that never reads holds only itself up; out of descriptors, it
 * stops watching the listening socket until a connection ends.
 */
#include "plumbing.h"

static const struct poll_plan plan = { one_way_at_a_time, pause_until_one_leaves };

int
main(int argc, char **argv)
{
	serve_poll(listen_from_args(argc, argv), &plan);
}

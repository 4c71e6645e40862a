/*
 * worker-leaks-fd.c - a supervisor and one worker, as supervisor-worker.c,
 * but the worker never closes its copy of the connection.
 *
 * Defect: the accepting process is not the one the suite started, so a
 * count of the root's descriptors alone never sees the leak.  The worker
 * loses one descriptor per connection, and the client gets no EOF from a
 * child that ends, since the worker still holds the socket.
 * Expected: fails SPEC clause S-FD-1 (the tree's descriptor count), S-FD-3
 * (the worker holds every connection a child serves), S-DRIFT-2 (the
 * descriptors accumulate over the rounds), S-ECHO-5 (no end of file
 * after the client's half-close) and S-EXH-1 (out of descriptors, the
 * worker never gets them back).
 */
#include "plumbing.h"
#include "reap.h"

static void
work(int lfd)
{
	if (set_handler(SIGCHLD, reap_all) < 0)
		die("sigaction");
	for (;;)
		(void)spawn(lfd, accept_or_die(lfd), echo_and_exit);	/* DEFECT: no close(connfd) */
}

int
main(int argc, char **argv)
{
	supervise(listen_from_args(argc, argv), 1, work);
}

/*
 * leaks-fd.c - the parent never closes its copy of the connection.
 *
 * Defect: one descriptor lost per connection; the client also gets no EOF
 * from a child that ends, since the parent still holds the socket open.
 * Expected: fails SPEC clause S-FD-1 (the tree's descriptor count returns to
 * baseline); also S-ECHO-5 (no end of file after the client's half-close,
 * as above), S-FD-3 (each child inherits the connections leaked before it),
 * S-DRIFT-2 (the descriptors accumulate over rounds of connections) and
 * S-EXH-1 (out of descriptors, it never recovers: those the clients that
 * left would free stay leaked).
 */
#include "plumbing.h"
#include "reap.h"

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);

	if (set_handler(SIGCHLD, reap_all) < 0)
		die("sigaction");
	for (;;)
		(void)spawn(lfd, accept_or_die(lfd), echo_and_exit);	/* DEFECT: no close(connfd) */
}

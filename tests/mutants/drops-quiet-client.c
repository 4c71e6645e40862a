/*
 * drops-quiet-client.c - a fork-per-connection server whose children give
 * up on a client that says nothing for 10 s.
 *
 * Defect: each child sets a receive timeout (SO_RCVTIMEO) of 10 s, and
 * read() failing with EAGAIN when it expires ends the child, closing a
 * connection its client still means to use.  Every test of a few seconds
 * passes.
 * Expected: fails SPEC clause S-TIME-1 (a connection silent for a long
 * time is still served).
 */
#include <sys/socket.h>
#include <sys/time.h>

#include "plumbing.h"

static void
serve(int connfd)
{
	struct timeval idle = { 10, 0 };

	/* DEFECT: a quiet client is not a gone one */
	if (setsockopt(connfd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) < 0)
		die("setsockopt");
	echo_and_exit(connfd);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, serve);
}

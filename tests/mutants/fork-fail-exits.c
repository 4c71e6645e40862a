/*
 * fork-fail-exits.c - a fork-per-connection server that treats a failed
 * fork() as fatal, as the classic text's Fork() wrapper does.
 *
 * Defect: when fork() fails (EAGAIN: the user or the machine is out of
 * processes for a moment), the server exits, and every later client finds
 * nobody listening.  On a machine with processes to spare it never shows.
 * Expected: fails SPEC clauses S-EXH-2 (fork() failing is survived) and
 * S-RES-4 (a server found gone after a test).
 */
#include <signal.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;

	if (set_handler(SIGCHLD, reap_all) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept_or_die(lfd);
		if (spawn(lfd, connfd, echo_and_exit) < 0)
			die("fork");		/* DEFECT: a passing shortage ends it */
		(void)close(connfd);
	}
}

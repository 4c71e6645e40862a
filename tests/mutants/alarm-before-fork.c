/*
 * alarm-before-fork.c - a fork-per-connection server meant to end its
 * children after a while with alarm().
 *
 * Defect: it calls alarm() in the parent just before fork(), as if the
 * child inherited the timer.  fork() clears it in the child and leaves it
 * in the parent, re-armed by every new client: the parent dies of SIGALRM
 * 30 s after its last client arrived, while its children go on echoing.
 * Every test of a few seconds passes.
 * Expected: fails SPEC clauses S-TIME-1 and S-TIME-2 (the server is gone
 * after a long silence, with or without a client) and S-RES-4 (a server
 * found gone after a test).
 */
#include <signal.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

#define CHILD_SECONDS 30

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;

	if (set_handler(SIGCHLD, reap_all) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept_or_die(lfd);
		(void)alarm(CHILD_SECONDS);	/* DEFECT: the child never gets it */
		if (spawn(lfd, connfd, echo_and_exit) < 0)
			report_error("fork");
		(void)close(connfd);
	}
}

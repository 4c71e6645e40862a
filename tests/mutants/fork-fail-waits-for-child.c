/*
 * fork-fail-waits-for-child.c - a fork-per-connection server that, when
 * fork() fails, waits for one of its children to end to free a process.
 *
 * Defect: the wait blocks.  While one long client stays, the server
 * neither accepts nor retries, even once processes are free again (another
 * user's ended, a limit was raised): new clients wait in the listen queue
 * for as long as the oldest client stays.
 * Expected: fails SPEC clause S-EXH-2 (it serves again once fork() works).
 */
#include <signal.h>
#include <sys/wait.h>
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
		while (spawn(lfd, connfd, echo_and_exit) < 0)
			(void)waitpid(-1, NULL, 0);	/* DEFECT: blocks on the oldest */
		(void)close(connfd);
	}
}

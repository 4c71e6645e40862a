/*
 * fork-fail-retries.c - a fork-per-connection server that will not let a
 * client go when fork() fails.
 *
 * Defect: it retries a failed fork() at once, in a loop, until one works:
 * while the machine is out of processes it burns a CPU on fork() calls
 * (and adds to the shortage it waits out).
 * Expected: fails SPEC clause S-EXH-2 (a failed fork() is not retried at
 * once).
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
		while (spawn(lfd, connfd, echo_and_exit) < 0)
			continue;		/* DEFECT: no pause, no giving up */
		(void)close(connfd);
	}
}

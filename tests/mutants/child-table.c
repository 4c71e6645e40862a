/*
 * child-table.c - a fork-per-connection server that keeps its children's
 * pids in a fixed table of 64, freed by its SIGCHLD handler.
 *
 * Defect: when the table is full it gives up and exits, where it should
 * wait for a free slot (leaving the next clients in the listen queue):
 * the 65th client connected at once ends the server.  No test with 32
 * clients at once sees it.
 * Expected: fails SPEC clause S-RES-4 (the server never ends by itself:
 * 4N clients at once, and found gone after the 200 clients of S-CONC-4);
 * S-CONC-4 (SHOULD) warns.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

#define SLOTS 64

static volatile sig_atomic_t table[SLOTS];	/* pids; 0 is a free slot */

static void
forget(int signo)
{
	int saved = errno, i;
	pid_t pid;

	(void)signo;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (i = 0; i < SLOTS; i++)
			if (table[i] == pid)
				table[i] = 0;
	errno = saved;
}

static int
free_slot(void)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (table[i] == 0)
			return i;
	return -1;
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd, slot;
	sigset_t chld, old;
	pid_t pid;

	if (set_handler(SIGCHLD, forget) < 0 || sigemptyset(&chld) < 0 ||
	    sigaddset(&chld, SIGCHLD) < 0)
		die("setup");
	for (;;) {
		connfd = accept_or_die(lfd);
		/* The handler must not see a child before its slot holds it. */
		if (sigprocmask(SIG_BLOCK, &chld, &old) < 0)
			die("sigprocmask");
		if ((slot = free_slot()) < 0) {
			/* DEFECT: full is fatal, instead of waiting for a slot */
			fprintf(stderr, "child-table: more than %d clients\n", SLOTS);
			exit(1);
		}
		if ((pid = spawn(lfd, connfd, echo_and_exit)) < 0)
			report_error("fork");
		else
			table[slot] = pid;
		(void)close(connfd);
		if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
			die("sigprocmask");
	}
}

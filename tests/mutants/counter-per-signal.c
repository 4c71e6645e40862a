/*
 * counter-per-signal.c - caps its live children at MAX_CHILDREN with a
 * count it takes one off per SIGCHLD, though its handler reaps every
 * finished child.
 *
 * Defect: signals do not queue, so when several children end together
 * their SIGCHLDs merge and the count stays too high: every zombie is
 * reaped, yet after each burst of simultaneous exits the server believes
 * a few more children are alive, until it waits for ever for a child to
 * end and accepts no one.  One burst does not show it.
 * Expected: fails SPEC clause S-DRIFT-1 (capacity after rounds of
 * simultaneous closes); S-DRIFT-2, judged on the same rounds, is then not
 * judged.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

/* Above the 200 clients S-CONC-4 connects at once. */
#define MAX_CHILDREN 250

static volatile sig_atomic_t live;

static void
reap_and_count(int signo)
{
	(void)signo;
	(void)children_left();	/* reaps every finished child */
	live--;			/* DEFECT: one per signal, not one per child reaped */
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;
	sigset_t chld, old;

	if (set_handler(SIGCHLD, reap_and_count) < 0)
		die("sigaction");
	/* SIGCHLD blocked while the count is read and changed outside the handler. */
	if (sigemptyset(&chld) < 0 || sigaddset(&chld, SIGCHLD) < 0 ||
	    sigprocmask(SIG_BLOCK, &chld, &old) < 0)
		die("sigprocmask");
	for (;;) {
		while (live >= MAX_CHILDREN)
			(void)sigsuspend(&old);		/* returns after the handler ran */
		if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
			die("sigprocmask");
		connfd = accept_or_die(lfd);
		if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
			die("sigprocmask");
		if (spawn(lfd, connfd, echo_and_exit) > 0)
			live++;
		else
			report_error("fork");
		(void)close(connfd);
	}
}

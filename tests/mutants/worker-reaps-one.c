/*
 * worker-reaps-one.c - a supervisor and one worker, as supervisor-worker.c,
 * but the worker's SIGCHLD handler reaps one child per signal.
 *
 * Defect: signals do not queue, so when children end together their
 * SIGCHLDs merge and zombies stay.  The process the suite started (the
 * supervisor) reaps correctly: only stopping the worker, which forks the
 * children, makes the merging certain.
 * Expected: fails SPEC clause S-REAP-2 (no zombie after simultaneous
 * closes, also with the processes that forked the children stopped).  Under
 * S-REAP-3, S-REAP-4 and S-RES-1 the signals merge when the scheduler
 * bunches the exits, so its row judges S-REAP-2 and the smoke clause only.
 */
#include <errno.h>
#include <sys/wait.h>

#include "plumbing.h"

static void
reap_one(int signo)
{
	int saved_errno = errno;

	(void)signo;
	(void)waitpid(-1, NULL, WNOHANG);	/* DEFECT: once, not until none is left */
	errno = saved_errno;
}

static void
work(int lfd)
{
	serve_forever(lfd, reap_one, echo_and_exit);
}

int
main(int argc, char **argv)
{
	supervise(listen_from_args(argc, argv), 1, work);
}

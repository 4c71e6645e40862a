/*
 * blocking-reaper.c - reaps in a waitpid() loop, but without WNOHANG.
 *
 * Defect: once the finished children are collected, waitpid() blocks
 * until a live child ends too, so the server is stuck in its handler and
 * accepts nobody while any connection stays open.
 * Expected: fails SPEC clause S-SIG-3 (back to waiting for connections after SIGCHLD).
 */
#include <errno.h>
#include <sys/wait.h>

#include "plumbing.h"

static void
reap_blocking(int signo)
{
	int saved_errno = errno;

	(void)signo;
	while (waitpid(-1, NULL, 0) > 0)	/* DEFECT: no WNOHANG */
		continue;
	errno = saved_errno;
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_blocking, echo_and_exit);
}

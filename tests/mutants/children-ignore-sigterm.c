/*
 * children-ignore-sigterm.c - a fork-per-connection server whose children
 * ignore SIGTERM, so that stopping the parent leaves them serving.
 *
 * Defect: each child sets SIGTERM to SIG_IGN.  SIGTERM to the parent alone
 * still stops the server, and each child still ends at its client's end
 * of file; but a service manager's stop, SIGTERM to the whole process
 * group, leaves every child running for as long as its client stays.
 * Expected: fails SPEC clause S-LIFE-7 (SIGTERM to the whole process group
 * ends every process of the tree).
 */
#include <signal.h>

#include "plumbing.h"

static void
serve(int connfd)
{
	if (signal(SIGTERM, SIG_IGN) == SIG_ERR)	/* DEFECT */
		die("signal");
	echo_and_exit(connfd);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, serve);
}

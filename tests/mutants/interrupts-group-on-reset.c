/*
 * interrupts-group-on-reset.c - a child that answers a failed connection
 * by interrupting its process group.
 *
 * Defect: when its connection fails (the client reset it), the child
 * "aborts the job" with kill(0, SIGINT), as Ctrl-C would, meaning to stop
 * its own helpers; the group is the whole server's, which dies at the
 * first reset (SIGINT's default action).  Started in the suite's process
 * group, as programs under test once were, it was a Ctrl-C to the suite.
 * Expected: fails SPEC clauses whose test resets connections and then
 * needs the server: S-REAP-3 and S-RES-3 (clients killed mid-transfer,
 * whose connections the kernel resets), S-REAP-4 (connections reset),
 * S-REAP-5 (children of killed clients), S-RES-1 (thousands of resets);
 * and S-RES-4, a server found gone after a test.  The run completes:
 * every clause is judged.
 */
#include <signal.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"
#include "reap.h"

static void
echo_or_interrupt_group(int connfd)
{
	if (str_echo(connfd, NULL) == 0)
		_exit(0);
	if (kill(0, SIGINT) < 0)	/* DEFECT: the group is the server's */
		die("kill");
	_exit(1);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_or_interrupt_group);
}

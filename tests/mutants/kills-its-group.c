/*
 * kills-its-group.c - a child that ends its helpers by signalling its
 * process group.
 *
 * Defect: once its client has closed, the child ends "its own processes"
 * with kill(0, SIGTERM), as if it led a process group of its own; it never
 * called setpgid(), so the group is the whole server's, which ends with
 * the first connection to close.  (Started in the suite's own process
 * group, as programs under test once were, it stopped the suite itself
 * after one clause, and the run still said "conforming": the suite now
 * starts each program in a session of its own, so this mutant is judged
 * for its own defect.)
 * Expected: fails SPEC clauses whose test needs the server after a
 * connection closed: S-REAP-1, S-REAP-4, S-REAP-5 (the zombies and children
 * of a server that is gone cannot be counted), S-FD-1, S-RES-3, S-END-1;
 * S-END-2 is then not judged.  The run completes: every clause is judged.
 */
#include <signal.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"
#include "reap.h"

static void
echo_then_end_group(int connfd)
{
	int status = str_echo(connfd, NULL) == 0 ? 0 : 1;

	if (kill(0, SIGTERM) < 0)	/* DEFECT: the group is the server's */
		die("kill");
	_exit(status);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_then_end_group);
}

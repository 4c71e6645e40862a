/*
 * dies-when-continued.c - a server that exits when it is continued after
 * a stop (a debugger or job control sent SIGSTOP, then SIGCONT).
 *
 * Defect: a SIGCONT handler that ends the server with status 3.  Children
 * that ended while it was stopped become the zombies of whoever adopts
 * them, so an empty tree afterwards proves nothing: the server is gone.
 * Expected: fails SPEC clause S-REAP-2 (no zombie after many clients close at
 * the same instant; the server must still be alive and serving at its end),
 * S-ECHO-8, which stops and continues the server during a stream,
 * S-DRIFT-1 (whose rounds stop and continue the server; S-DRIFT-2, judged
 * on the same rounds, is then not judged), and S-RES-4 (a server found
 * gone after a test).
 */
#include <signal.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

static void
quit(int signo)
{
	(void)signo;
	_exit(3);
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);

	if (set_handler(SIGCONT, quit) < 0)	/* DEFECT */
		die("sigaction");
	serve_forever(lfd, reap_all, echo_and_exit);
}

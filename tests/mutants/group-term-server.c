/*
 * group-term-server.c - a correct server that ends its children by
 * signalling its whole process group on SIGTERM.
 *
 * Not a defect: a server that leads its own process group (as under a
 * service manager, or started from a shell with job control) may pass
 * SIGTERM on to everything it started with kill(0, SIGTERM).  The suite
 * starts every program under test in a session of its own, so this
 * reaches the program's own processes only, and it must pass; when the
 * program shared the suite's group, this signal ended the run itself.
 */
#include <signal.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

static void
end_group(int signo)
{
	/* SIGTERM stays blocked while this runs, so the copy sent to ourselves
	 * waits, unhandled, until _exit() makes it moot. */
	(void)signo;
	(void)kill(0, SIGTERM);
	_exit(0);
}

static void
serve_with_default_term(int connfd)
{
	/* A child ends at SIGTERM's default action; the handler is the parent's. */
	if (signal(SIGTERM, SIG_DFL) == SIG_ERR)
		die("signal");
	echo_and_exit(connfd);
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);

	if (set_handler(SIGTERM, end_group) < 0)
		die("sigaction");
	serve_forever(lfd, reap_all, serve_with_default_term);
}

/*
 * lingering-child.c - a child that outlives its connection.
 *
 * Defect: after the client's EOF the child closes the socket (so the echo
 * itself is right) but never exits; children pile up.
 * Expected: fails SPEC clause S-REAP-5 (number of children returns to baseline).
 */
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static void
echo_and_linger(int connfd)
{
	(void)str_echo(connfd, NULL);
	(void)close(connfd);
	for (;;)
		(void)pause();	/* DEFECT: instead of _exit() */
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_and_linger);
}

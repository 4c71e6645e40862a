/*
 * lingers-after-eof.c - a child that waits before it closes.
 *
 * Defect: after the client's EOF the child has echoed everything, but it
 * waits 3 s before it closes the connection and exits, so a batch client
 * that half-closed waits that long for its end of file.
 * Expected: fails SPEC clause S-ECHO-5 (the end of file comes at once after
 * the client's half-close).
 */
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static void
echo_and_linger(int connfd)
{
	int status = str_echo(connfd, NULL) == 0 ? 0 : 1;

	sleep_ms(3000);	/* DEFECT */
	_exit(status);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_and_linger);
}

/*
 * line-buffered.c - echoes line by line, as a readline()-based server does.
 *
 * Defect: bytes after the last newline wait for the next newline (or the
 * client's EOF), so an interactive client without one sees nothing.
 * Expected: fails SPEC clause S-ECHO-3 (a chunk without newline echoed at once),
 * and every clause whose binary data does not end in a newline: S-ECHO-2,
 * S-ECHO-4, S-ECHO-7, S-ECHO-8; or whose streaming clients need the echo to flow: S-REAP-3,
 * S-REAP-5, S-RES-3.
 */
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static void
echo_lines(int connfd)
{
	FILE *in = fdopen(connfd, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if (in == NULL)
		_exit(1);
	while ((n = getline(&line, &size, in)) > 0)	/* DEFECT: waits for '\n' */
		if (writen(connfd, line, (size_t)n) < 0)
			break;
	_exit(0);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_lines);
}

/*
 * nul-truncates.c - handles the data as C strings.
 *
 * Defect: echoes each read only up to its first NUL byte.
 * Expected: fails SPEC clause S-ECHO-2 (all 256 byte values), and every
 * echo clause whose data holds a NUL byte: S-ECHO-3 (a lone byte 0),
 * S-ECHO-4 (binary stream), S-ECHO-5 (binary batch), S-ECHO-7 and S-ECHO-8
 * (random messages and streams).
 */
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static void
echo_strings(int connfd)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(connfd, buf, sizeof buf)) > 0)
		if (writen(connfd, buf, strnlen(buf, (size_t)n)) < 0)	/* DEFECT */
			break;
	_exit(0);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_strings);
}

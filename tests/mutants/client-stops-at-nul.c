/*
 * client-stops-at-nul.c - sends its input as C strings.
 *
 * Defect: of each chunk read from stdin, only the bytes before the first
 * NUL reach the server.
 * Expected: fails SPEC clause C-BATCH-2 (binary input comes back byte-identical),
 * and C-BATCH-3, whose tens of MiB of random input hold NUL bytes too.
 */
#include <string.h>

#include "echo.h"
#include "plumbing.h"

static ssize_t
send_string(int sock, const char *buf, size_t n)
{
	size_t len = strnlen(buf, n);	/* DEFECT: not n */
	ssize_t sent = len > 0 ? send_some(sock, buf, len) : 0;

	/* Once the string is sent, the rest of what was read counts as sent. */
	return sent == (ssize_t)len ? (ssize_t)n : sent;
}

static const struct client_plan plan = {
	send_string, half_close, check_complete, report_error
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

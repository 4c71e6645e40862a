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

static int
send_string(int sock, const char *buf, size_t n)
{
	return writen(sock, buf, strnlen(buf, n));	/* DEFECT: not n */
}

static const struct client_plan plan = {
	send_string, half_close, check_complete, report_error
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

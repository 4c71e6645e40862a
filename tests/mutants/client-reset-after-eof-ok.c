/*
 * client-reset-after-eof-ok.c - takes a reset that comes after its end of
 * input as the end of the echo.
 *
 * Defect: once it has sent all its input and half-closed, any error
 * reading from the server counts as "the server is done" and it exits 0.
 * A server that resets the connection in the middle of its answer then
 * leaves half the output behind a status that says all went well.  Resets
 * while the input is still open are reported.
 * Expected: fails SPEC clause C-RST-3 (a reset after the end of input is
 * reported as an error).
 */
#include "plumbing.h"

static int input_done;

static int
remember_eof(int sock)
{
	input_done = 1;
	return half_close(sock);
}

static int
error_unless_done(const char *what)
{
	if (input_done)
		return 0;	/* DEFECT: a reset is no end of file */
	return report_error(what);
}

static const struct client_plan plan = {
	send_some, remember_eof, check_complete, error_unless_done
};

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

/*
 * client-sigpipe-default.c - leaves SIGPIPE at its default action.
 *
 * Defect: a write to a connection the server has closed and reset raises
 * SIGPIPE, which kills the client at once: no message, no cleanup, and in
 * a pipeline (`client < file > out`) the status is easy to miss.  While it
 * is blocked reading, the close shows as an end of file and is reported;
 * only a client busy sending (a large upload) dies in silence.
 * Expected: fails SPEC clause C-PREM-3 (a server that closes during a large
 * upload is reported).
 */
#include "net.h"
#include "plumbing.h"

static const struct client_plan plan = { send_all, half_close, check_complete, report_error };

/* DEFECT: 0, where correct_io has 1 (SIGPIPE ignored). */
static const struct client_io io = { tcp_connect, 0, read_stdin, write_stdout };

int
main(int argc, char **argv)
{
	return run_client_io(argc, argv, &plan, &io);
}

/*
 * client-sigpipe-default.c - client-select-blocking-write with SIGPIPE
 * left at its default action.
 *
 * Defect: a write to a connection the server has closed and reset raises
 * SIGPIPE, which kills the client at once: no message, no cleanup, and in
 * a pipeline (`client < file > out`) the status is easy to miss.  While it
 * is blocked reading, the close shows as an end of file and is reported;
 * only a client inside a write (a large upload) dies in silence.  A client
 * that never blocks in a write and reads first sees the end of file before
 * the reset, so this defect shows only on top of a blocking write: the
 * row of client-select-blocking-write, which fails C-BATCH-3 alone, is
 * the twin that tells the two apart.
 * Expected: fails SPEC clause C-PREM-3 (a server that closes during a large
 * upload is reported), and C-BATCH-3 as its twin does.
 */
#include "net.h"
#include "plumbing.h"

/* As client-select-blocking-write. */
static const struct client_plan plan = { send_all, half_close, check_complete, report_error };

/* DEFECT: 0, where correct_io has 1 (SIGPIPE ignored). */
static const struct client_io io = { tcp_connect, 0, read_stdin, write_stdout };

int
main(int argc, char **argv)
{
	return run_client_io(argc, argv, &plan, &io);
}

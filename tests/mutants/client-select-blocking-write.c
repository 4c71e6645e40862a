/*
 * client-select-blocking-write.c - the classic select() client: when its
 * input is readable it reads a piece and sends all of it with a blocking
 * write, then looks at the socket again.
 *
 * Defect: while that write waits for room, nothing reads the echo.  Once
 * the echo has filled the client's receive buffer, the server blocks
 * sending it and stops reading, so the write never gets its room: both
 * wait for ever.  With a prompt server and small inputs the echo is read
 * between writes and all goes well; how far the echo runs behind is the
 * scheduler's choice, so against a server that echoes at once it hangs
 * only now and then (3 runs in 40, 2026-12-06).
 * Expected: fails SPEC clause C-BATCH-3 (input far larger than the socket
 * buffers comes back intact), whose server holds back its echo until the
 * client is blocked sending.
 */
#include "plumbing.h"

/* DEFECT: send_all, where the correct client has send_some. */
static const struct client_plan plan = { send_all, half_close, check_complete, report_error };

int
main(int argc, char **argv)
{
	return run_client(argc, argv, &plan);
}

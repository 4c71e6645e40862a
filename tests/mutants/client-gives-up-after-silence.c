/*
 * client-gives-up-after-silence.c - once its input has ended, waits for
 * the echo only as long as the server keeps talking.
 *
 * Defect: after the end of its input it gives the server 3 s of silence,
 * then exits 0, as if the echo were complete.  A server that answers
 * within a second or two is served; a busy one that is silent longer loses
 * its answer, and the exit status hides it.
 * Expected: fails SPEC clause C-SLOW-2 (an echo that comes after a long
 * silence following the end of input still reaches standard output).
 */
#include <signal.h>
#include <unistd.h>

#include "net.h"
#include "plumbing.h"
#include "reap.h"

#define PATIENCE 3	/* seconds */

static int input_done;

static void
give_up(int signo)
{
	(void)signo;
	_exit(0);
}

static int
half_close_with_deadline(int sock)
{
	input_done = 1;
	if (set_handler(SIGALRM, give_up) < 0)
		die("sigaction");
	(void)alarm(PATIENCE);	/* DEFECT: the server may take longer */
	return half_close(sock);
}

static int
write_and_wait_again(const char *buf, size_t n)
{
	if (input_done)
		(void)alarm(PATIENCE);
	return write_stdout(buf, n);
}

static const struct client_plan plan = {
	send_some, half_close_with_deadline, check_complete, report_error
};

static const struct client_io io = { tcp_connect, 1, read_stdin, write_and_wait_again };

int
main(int argc, char **argv)
{
	return run_client_io(argc, argv, &plan, &io);
}

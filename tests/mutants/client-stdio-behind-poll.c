/*
 * client-stdio-behind-poll.c - polls descriptor 0, then reads a line of it
 * through stdio.
 *
 * Defect: getc() fills stdio's buffer with all that is waiting on
 * descriptor 0, and returns one line of it.  The lines after it sit in
 * that buffer, where poll() cannot see them: two lines pasted at once show
 * only the first echo until more is typed.  Typing one line at a time, or
 * a file on stdin (always readable), works.
 * Expected: fails SPEC clause C-INT-2 (several lines arriving at once are
 * all echoed while standard input stays open).
 */
#include <stdio.h>

#include "net.h"
#include "plumbing.h"

static ssize_t
read_line_through_stdio(char *buf, size_t n)
{
	size_t len = 0;
	int c;

	while (len < n && (c = getc(stdin)) != EOF) {	/* DEFECT: behind poll()'s back */
		buf[len++] = (char)c;
		if (c == '\n')
			break;
	}
	return len == 0 && ferror(stdin) ? -1 : (ssize_t)len;
}

static const struct client_plan plan = { send_some, half_close, check_complete, report_error };

static const struct client_io io = { tcp_connect, 1, read_line_through_stdio, write_stdout };

int
main(int argc, char **argv)
{
	return run_client_io(argc, argv, &plan, &io);
}

/*
 * client-stop-and-wait.c - the classic text's first client: read a chunk
 * of input, send it, read its echo, repeat.
 *
 * Defect: while it waits for input it is blocked in read(2) on stdin and
 * cannot see the server close or reset; it notices only when the user
 * types again, and if stdin stays open it waits forever.
 * Expected: fails SPEC clause C-PREM-1 (premature close noticed promptly),
 * and C-PREM-2, C-RST-1, C-RST-2 with it (a reset is as unseen as a close).
 * It also waits for each chunk's echo before it sends the next or its end
 * of input, so a server that answers only after the client's EOF, or not
 * at all, leaves both waiting: C-SLOW-1, C-SLOW-2, C-EXACT-1, C-PREM-3 (the
 * server takes the upload without echoing), C-RST-3, C-SHORT-1 (SHOULD),
 * and C-BATCH-3 (the server echoes only once it holds more than one chunk).
 */
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

int
main(int argc, char **argv)
{
	int sock = connect_from_args(argc, argv);
	char buf[16384];
	ssize_t n, got, left;

	while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0) {	/* DEFECT: deaf to sock */
		if (writen(sock, buf, (size_t)n) < 0)
			die("write to server");
		for (left = n; left > 0; left -= got) {
			got = read(sock, buf, (size_t)left);
			if (got <= 0)
				return check_complete(1, 0, 0);
			if (writen(STDOUT_FILENO, buf, (size_t)got) < 0)
				die("write to stdout");
		}
	}
	return 0;
}

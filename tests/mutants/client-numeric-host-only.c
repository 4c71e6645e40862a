/*
 * client-numeric-host-only.c - takes the host as a dotted IPv4 address,
 * as the classic text's first client does with inet_pton().
 *
 * Defect: a host name ("localhost", a server's name) is not an address to
 * inet_pton(), so the client refuses it; only "127.0.0.1" and the like
 * work, which is all a suite that hands out numeric addresses ever tries.
 * Expected: fails SPEC clause C-HOST-1 (a host name is tried address after
 * address).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plumbing.h"

static int
connect_numeric(const char *host, const char *port, int *gaierr)
{
	struct sockaddr_in sa;
	int fd, saved;

	*gaierr = 0;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {	/* DEFECT: no name lookup */
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		fd = -1;
	}
	return fd;
}

static const struct client_plan plan = { send_some, half_close, check_complete, report_error };

static const struct client_io io = { connect_numeric, 1, read_stdin, write_stdout };

int
main(int argc, char **argv)
{
	return run_client_io(argc, argv, &plan, &io);
}

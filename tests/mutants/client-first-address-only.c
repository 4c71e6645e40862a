/*
 * client-first-address-only.c - connects to the first address its host
 * name resolves to, and to no other.
 *
 * Defect: getaddrinfo() may return several addresses, and the first may
 * refuse: on a stock Debian, `localhost` gives ::1 before 127.0.0.1, so a
 * server listening on 127.0.0.1 alone cannot be reached by name.  Numeric
 * addresses, which give one address, work.
 * Expected: fails SPEC clause C-HOST-1 (a host name is tried address after
 * address).
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plumbing.h"

static int
connect_first(const char *host, const char *port, int *gaierr)
{
	struct addrinfo hints, *res;
	int fd, saved;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	*gaierr = getaddrinfo(host, port, &hints, &res);
	if (*gaierr != 0)
		return -1;
	/* DEFECT: res->ai_next is never tried */
	fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static const struct client_plan plan = { send_some, half_close, check_complete, report_error };

static const struct client_io io = { connect_first, 1, read_stdin, write_stdout };

int
main(int argc, char **argv)
{
	return run_client_io(argc, argv, &plan, &io);
}

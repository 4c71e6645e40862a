/*
 * no-reuseaddr.c - listens without SO_REUSEADDR.
 *
 * Defect: after a restart, bind() fails with EADDRINUSE for as long as
 * connections of the old server linger on the port (TIME_WAIT, or still
 * open in a child).
 * Expected: fails SPEC clauses S-LIFE-2 (the port can be bound again at once,
 * despite TIME_WAIT) and S-LIFE-3 (... while an old client is still connected).
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "plumbing.h"

int
main(int argc, char **argv)
{
	const char *port = port_from_args(argc, argv);
	struct sockaddr_in sin;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* DEFECT: no setsockopt(SO_REUSEADDR) before bind() */
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    listen(lfd, SOMAXCONN) < 0)
		die("listen");
	exit_on_sigterm();
	say_listening(lfd);
	serve_forever(lfd, reap_all, echo_and_exit);
}

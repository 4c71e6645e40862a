/*
 * quiet-exit-on-bind.c - a server that takes "cannot listen" for nothing
 * to do.
 *
 * Defect: when tcp_listen() fails (the port is taken), it returns from
 * main() with status 0 and not a word, so a script or a service manager
 * takes the failed start for a clean one.  On a free port it is the
 * plumbing's correct server.
 * Expected: fails SPEC clause S-START-1 (a server that cannot listen exits
 * non-zero, saying why).
 */
#include <sys/socket.h>

#include "net.h"
#include "plumbing.h"

int
main(int argc, char **argv)
{
	int lfd, gaierr;

	lfd = tcp_listen("127.0.0.1", port_from_args(argc, argv), SOMAXCONN, &gaierr);
	if (lfd < 0)
		return 0;	/* DEFECT: die("listen") says why and exits 1 */
	exit_on_sigterm();
	say_listening(lfd);
	serve_forever(lfd, reap_all, echo_and_exit);
}

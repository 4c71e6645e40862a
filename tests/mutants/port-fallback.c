/*
 * port-fallback.c - a server that, when its port is taken, listens on
 * another one rather than fail.
 *
 * Defect: when tcp_listen() on the port it was given fails, it asks for
 * port 0 and runs on whatever port the kernel picks, which no client
 * knows; its start looks like a success to whoever started it.  On a free
 * port it is the plumbing's correct server.
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
	if (lfd < 0)	/* DEFECT: any port will do */
		lfd = tcp_listen("127.0.0.1", "0", SOMAXCONN, &gaierr);
	if (lfd < 0)
		die("listen");
	exit_on_sigterm();
	say_listening(lfd);
	serve_forever(lfd, reap_all, echo_and_exit);
}

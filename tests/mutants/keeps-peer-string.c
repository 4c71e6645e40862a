/*
 * keeps-peer-string.c - remembers each client's address, as a log of
 * clients, in a list it never shortens.
 *
 * Defect: some 48 bytes of heap per connection in the accepting process,
 * never freed: nothing to see over a few hundred connections, a server
 * out of memory after some millions.
 * Expected: fails SPEC clause S-END-2 (memory grows with the number of
 * connections; a SHOULD, so its row runs with --strict-should).
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "plumbing.h"
#include "reap.h"

struct client {
	struct client *next;
	time_t since;
	char addr[24];
};

static struct client *clients;

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;
	struct client *c;

	if (set_handler(SIGCHLD, reap_all) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept_or_die(lfd);
		if ((c = malloc(sizeof *c)) == NULL)
			die("malloc");
		if (peer_name(connfd, c->addr, sizeof c->addr) < 0)
			c->addr[0] = '\0';
		c->since = time(NULL);
		c->next = clients;	/* DEFECT: never taken off the list */
		clients = c;
		if (spawn(lfd, connfd, echo_and_exit) < 0)
			report_error("fork");
		(void)close(connfd);
	}
}

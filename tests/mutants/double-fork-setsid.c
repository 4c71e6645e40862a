/*
 * double-fork-setsid.c - the daemons' full recipe, per connection: each
 * child leaves the server's session (setsid) before it forks the
 * grandchild that serves the connection, and exits at once.  Right in
 * every other way, it fails S-LIFE-7: a SIGTERM sent to the server's
 * process group, as a service manager sends it, misses the grandchildren.
 * Its orphans, in sessions of their own, are told apart from another
 * server's only by what the suite saw of them while their parent lived.
 */
#include "plumbing.h"

#include <stdio.h>
#include <unistd.h>

static void
hand_over(int connfd)
{
	if (setsid() < 0)
		perror("setsid");
	double_fork(connfd, echo_and_exit);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, hand_over);
}

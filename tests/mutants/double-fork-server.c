/*
 * double-fork-server.c - a correct server of the daemons' design: each
 * child forks a grandchild to serve the connection and exits at once, so
 * the server reaps only short-lived children and the grandchildren are
 * adopted elsewhere; each exits at its client's EOF.  `make mutants`
 * requires it to pass.
 */
#include "plumbing.h"

static void
hand_over(int connfd)
{
	double_fork(connfd, echo_and_exit);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, hand_over);
}

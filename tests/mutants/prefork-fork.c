/*
 * prefork-fork.c - a correct echo server of another design: the process
 * started forks three workers, forwards SIGTERM to them and exits once
 * they have ended; each worker accepts from the shared listening socket
 * and forks a child per connection.  `make mutants` requires it to pass.
 */
#include "plumbing.h"

static void
work(int lfd)
{
	serve_forever(lfd, reap_all, echo_and_exit);
}

int
main(int argc, char **argv)
{
	supervise(listen_from_args(argc, argv), 3, work);
}

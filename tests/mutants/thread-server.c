/*
 * thread-server.c - a correct echo server of another design: one process,
 * a detached thread per connection.  No children, so the reaping clauses
 * hold trivially; `make mutants` requires it to pass.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static void *
serve(void *arg)
{
	int connfd = (int)(intptr_t)arg;

	(void)str_echo(connfd, NULL);
	(void)close(connfd);
	return NULL;
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd, e;
	pthread_attr_t attr;
	pthread_t thread;

	/* A reset peer must fail one thread's write with EPIPE, not end them all. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("signal");
	/* The pthread functions return their error instead of setting errno. */
	if ((e = pthread_attr_init(&attr)) != 0 ||
	    (e = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)) != 0) {
		errno = e;
		die("pthread_attr");
	}
	for (;;) {
		connfd = accept_or_die(lfd);
		e = pthread_create(&thread, &attr, serve, (void *)(intptr_t)connfd);
		if (e != 0) {
			errno = e;
			(void)report_error("pthread_create");
			(void)close(connfd);
		}
	}
}

/*
 * thread-server.c - a correct echo server of another design: one process,
 * a detached thread per connection.  No children, so the reaping clauses
 * hold trivially; `make mutants` requires it to pass.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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
	if ((e = pthread_attr_init(&attr)) != 0 ||
	    (e = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)) != 0) {
		fprintf(stderr, "thread-server: pthread_attr: %s\n", strerror(e));
		return 1;
	}
	for (;;) {
		connfd = accept_or_die(lfd);
		e = pthread_create(&thread, &attr, serve, (void *)(intptr_t)connfd);
		if (e != 0) {
			fprintf(stderr, "thread-server: pthread_create: %s\n", strerror(e));
			(void)close(connfd);
		}
	}
}

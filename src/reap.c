/*
 * reap.c - the parent's book of live children and the SIGCHLD handler.
 *
 * Other ways to reap, and why this one:
 *  - inetd sets a flag in the handler and reaps in its main loop;
 *  - tcpserver keeps SIGCHLD blocked except around accept();
 *  - s6 writes to a self-pipe in the handler and reaps where it polls;
 *  - tini blocks SIGCHLD and waits for it with sigtimedwait().
 * Those move the waitpid() out of the handler.  The reference keeps the
 * classic form - a handler that loops waitpid(-1, &status, WNOHANG) - because
 * that is the form the classic text teaches and every student's server
 * starts from; written with care it is correct: zombies are collected the
 * moment they appear, even while the parent sits idle in accept().
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "reap.h"

/*
 * Slots hold live children's pids, 0 when free.  The main program writes
 * them only with SIGCHLD blocked; the handler runs only when it is not, so
 * the two never interleave.
 */
static pid_t *book;
static size_t book_size;
static volatile sig_atomic_t live;

int
children_init(size_t max)
{
	book = calloc(max, sizeof *book);
	if (book == NULL)
		return -1;
	book_size = max;
	return 0;
}

int
children_add(pid_t pid)
{
	size_t i;

	for (i = 0; i < book_size; i++)
		if (book[i] == 0) {
			book[i] = pid;
			live++;
			return 0;
		}
	errno = EAGAIN;
	return -1;
}

size_t
children_live(void)
{
	return (size_t)live;
}

void
children_signal(int signo)
{
	size_t i;

	for (i = 0; i < book_size; i++)
		if (book[i] != 0)
			(void)kill(book[i], signo);
}

void
reap_children(int signo)
{
	int saved_errno = errno;
	int status;
	pid_t pid;
	size_t i;

	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < book_size; i++)
			if (book[i] == pid) {
				book[i] = 0;
				live--;
				break;
			}
	errno = saved_errno;
}

int
set_handler(int signo, void (*fn)(int))
{
	struct sigaction sa;

	sa.sa_handler = fn;
	/* Handlers never interrupt one another, so none need reason about it. */
	if (sigfillset(&sa.sa_mask) < 0)
		return -1;
	/* No SA_RESTART: the accept loop must see EINTR and handle it. */
	sa.sa_flags = 0;
	return sigaction(signo, &sa, NULL);
}

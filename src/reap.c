/*
 * reap.c - the parent's book of live children and the SIGCHLD handler.
 *
 * Other ways to reap, and why this one:
 *  - inetd's handler only sets a flag; its main loop sees the flag and
 *    calls waitpid();
 *  - tcpserver reaps inside its handler, as here, and keeps SIGCHLD
 *    blocked except around its blocking accept() and its wait at the
 *    child limit, so the handler never runs in the middle of its
 *    bookkeeping;
 *  - s6 writes a byte to a self-pipe in the handler and reaps in its poll
 *    loop when that pipe is readable;
 *  - tini keeps SIGCHLD blocked for good and takes it with sigtimedwait(),
 *    so no handler runs at all.
 * The last three move the waitpid() out of the handler.  The reference
 * keeps the classic form - a handler that loops waitpid(-1, &status,
 * WNOHANG) - because that is the form the classic text teaches and every
 * student's server starts from, and written with care it is correct:
 * zombies are collected the moment they appear, even while the parent sits
 * idle.  Like tcpserver, the parent lets SIGCHLD in only while it waits
 * (server.c).  tcpserver may unblock it just before accept() and block it
 * after, because its handlers do all there is to do (SIGCHLD reaps,
 * SIGTERM exits): a signal pending at the unblock runs its handler then,
 * one during accept() interrupts it, and the loop is owed nothing.  Here
 * the stop handler only counts, and the loop acts on the count, so the
 * unblock and the wait are one step, pselect() or sigsuspend(): a stop
 * that comes after the loop looked at the count still ends the wait.
 */
/* MAP_ANONYMOUS: POSIX.1-2024, and every Unix before it. */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "reap.h"

/*
 * The book is a hash table of live children's pids, 0 in a free slot, so
 * the handler crosses a reaped pid off in constant time instead of
 * scanning every slot: a storm of 10,000 exits would otherwise cost
 * 10,000 scans of 10,000 slots, all inside the handler.  Open addressing
 * with linear probing, at most half full, so every probe ends at a free
 * slot; a pid's home slot is its low bits, because the kernel hands pids
 * out in sequence, which spreads a burst of forks over distinct slots.
 * The main program writes the book only with SIGCHLD blocked; the handler
 * runs only when it is not, so the two never interleave.
 *
 * The book, its count included, lives in a mapping of its own that fork()
 * leaves out of the children (MADV_DONTFORK, or INHERIT_NONE on the BSDs).
 * On the heap or in .bss, each page the parent writes after a fork is
 * copied, leaving each child the sole owner of a stale 4 KiB copy (a page
 * per held connection: bench/README.md).  Left out, the children
 * neither pay for the book nor can write it.  Elsewhere the mapping is
 * plain private: still correct, at the cost of those copies.
 */
struct book {
	volatile sig_atomic_t live;
	size_t max;		/* children_add() refuses the next one */
	size_t mask;		/* slots - 1, the slots a power of two */
	pid_t pid[];
};
static struct book *book;

static size_t
home_slot(pid_t pid)
{
	return (size_t)pid & book->mask;
}

int
children_init(size_t max)
{
	size_t slots = 2, len;
	void *p;

	if (max == 0 || max > SIZE_MAX / 4 / sizeof book->pid[0]) {
		errno = ENOMEM;
		return -1;
	}
	while (slots < 2 * max)
		slots *= 2;
	len = sizeof *book + slots * sizeof book->pid[0];
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
#if defined(MADV_DONTFORK) && !defined(ECHO_PORTABLE)
	if (madvise(p, len, MADV_DONTFORK) < 0)
		goto fail;
#elif defined(INHERIT_NONE) && !defined(ECHO_PORTABLE)
	if (minherit(p, len, INHERIT_NONE) < 0)
		goto fail;
#endif
	book = p;		/* zero-filled: every slot free, none live */
	book->max = max;
	book->mask = slots - 1;
	return 0;
#if (defined(MADV_DONTFORK) || defined(INHERIT_NONE)) && !defined(ECHO_PORTABLE)
fail:
	{
		int saved_errno = errno;

		(void)munmap(p, len);
		errno = saved_errno;
		return -1;
	}
#endif
}

int
children_add(pid_t pid)
{
	size_t i;

	if ((size_t)book->live >= book->max) {
		errno = EAGAIN;
		return -1;
	}
	for (i = home_slot(pid); book->pid[i] != 0; i = (i + 1) & book->mask)
		;
	book->pid[i] = pid;
	book->live++;
	return 0;
}

/*
 * Empties the slot holding pid, if any.  Linear probing cannot just zero
 * it: a later pid of the same run would no longer be found.  So each
 * following pid of the run that may not skip the hole moves back into it
 * (deletion without tombstones, Knuth's Algorithm R), and the table never
 * needs cleaning.
 */
static void
cross_off(pid_t pid)
{
	size_t i, j;

	for (i = home_slot(pid); book->pid[i] != pid; i = (i + 1) & book->mask)
		if (book->pid[i] == 0)
			return;		/* not a child we recorded */
	for (j = (i + 1) & book->mask; book->pid[j] != 0; j = (j + 1) & book->mask) {
		size_t k = home_slot(book->pid[j]);

		/* It stays when its home lies cyclically in (i, j]. */
		if (i <= j ? i < k && k <= j : i < k || k <= j)
			continue;
		book->pid[i] = book->pid[j];
		i = j;
	}
	book->pid[i] = 0;
	book->live--;
}

size_t
children_live(void)
{
	return (size_t)book->live;
}

void
children_signal(int signo)
{
	size_t i;

	for (i = 0; i <= book->mask; i++)
		if (book->pid[i] != 0)
			(void)kill(book->pid[i], signo);
}

void
reap_children(int signo)
{
	int saved_errno = errno;
	int status;
	pid_t pid;

	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (book != NULL)
			cross_off(pid);
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
	/*
	 * No SA_RESTART: POSIX leaves it to the system whether a pselect()
	 * a handler interrupted is restarted, and a restarted one would
	 * sleep on past a stop signal.  Linux never restarts it, so there
	 * nothing depends on the flag, and ECHO_SA_RESTART builds the
	 * server with it set to prove that (make sa-restart-test).
	 */
#ifdef ECHO_SA_RESTART
	sa.sa_flags = SA_RESTART;
#else
	sa.sa_flags = 0;
#endif
	return sigaction(signo, &sa, NULL);
}

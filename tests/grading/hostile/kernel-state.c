/*
 * kernel-state.c - a hostile submission: reaches for kernel state beyond
 * its sandbox.  A key in the user keyring outlives the submission and is
 * read by the next one graded with the same uid; a new user namespace is a
 * way back to capabilities; bpf, perf events and io_uring reach further
 * still.  It prints, for each attempt, "NAME ok" or "NAME errno N".  The
 * sandbox's seccomp filter must refuse every one with EPERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY_SPEC_USER_KEYRING -4
#define KEYCTL_GET_KEYRING_ID 0

static void
report(const char *name, long rc)
{
	if (rc == -1)
		printf("%s errno %d\n", name, errno);
	else
		printf("%s ok\n", name);
}

int
main(void)
{
	static const char secret[] = "left for the next submission";
	char attr[128] = {0};
	long rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	report("add_key", syscall(SYS_add_key, "user", "echo-grade", secret,
	    sizeof(secret), KEY_SPEC_USER_KEYRING));
	report("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
	    KEY_SPEC_USER_KEYRING, 0));
	report("request_key", syscall(SYS_request_key, "user", "echo-grade",
	    NULL, KEY_SPEC_USER_KEYRING));
	report("unshare", syscall(SYS_unshare, CLONE_NEWUSER));
	rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (rc == 0)
		_exit(0);	/* the child, in a namespace of its own */
	if (rc > 0)
		(void)waitpid((pid_t)rc, NULL, 0);
	report("clone", rc);
	report("bpf", syscall(SYS_bpf, 0, attr, sizeof(attr)));
	report("perf_event_open", syscall(SYS_perf_event_open, attr, 0, -1, -1, 0));
	report("io_uring_setup", syscall(SYS_io_uring_setup, 1, attr));
#ifdef __x86_64__
	/* getpid through the x32 ABI, numbered apart from the filter's table */
	report("x32", syscall(0x40000000 | SYS_getpid));
#endif
	return 0;
}

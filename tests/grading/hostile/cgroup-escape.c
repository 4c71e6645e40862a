/*
 * cgroup-escape.c - a hostile submission: tries to leave or loosen the
 * cgroup it runs in (the only cgroup files the sandbox shows, its CPU
 * group, bound at /tmp/.cpu), then leaves a double-forked process behind.
 * Every attempt must be refused and the process must die with the sandbox,
 * on cgroup v1 and v2 alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
attempt(const char *what, int rc)
{
	printf("%s %s\n", what, rc == 0 ? "ok" : strerror(errno));
}

static int
put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = write(fd, text, strlen(text));
	(void)close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	attempt("mkdir", mkdir("/tmp/.cpu/escape", 0755));
	attempt("cpu.max", put("/tmp/.cpu/cpu.max", "max\n"));
	attempt("cfs_quota", put("/tmp/.cpu/cpu.cfs_quota_us", "-1\n"));
	attempt("freeze", put("/tmp/.cpu/cgroup.freeze", "1\n"));
	if (fork() == 0) {
		(void)setsid();
		if (fork() == 0)
			for (;;)
				(void)pause();
		_exit(0);
	}
	for (;;)
		(void)pause();
}

/*
 * snoop.c - a hostile submission: looks for what is not its own.  For
 * each path on its command line (a classmate's source, another's results,
 * a host daemon's unix socket) it prints what it read, or that it
 * connected, or why it could not.  Inside the sandbox every line must say
 * "hidden" or "refused": the view shows the system, not the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void
try_socket(const char *path)
{
	struct sockaddr_un addr;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		printf("refused %s: path too long\n", path);
		return;
	}
	strcpy(addr.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		printf("refused %s: socket: %s\n", path, strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		printf("connected %s\n", path);
	else
		printf("refused %s: %s\n", path, strerror(errno));
	(void)close(fd);
}

static void
try_file(const char *path)
{
	char buf[256];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK)) == -1) {
		printf("hidden %s: %s\n", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		printf("hidden %s: read: %s\n", path, strerror(errno));
	else {
		buf[n] = '\0';
		printf("read %s: %s\n", path, buf);
	}
	(void)close(fd);
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1)
			printf("hidden %s: %s\n", argv[i], strerror(errno));
		else if (S_ISSOCK(st.st_mode))
			try_socket(argv[i]);
		else
			try_file(argv[i]);
	}
	return 0;
}

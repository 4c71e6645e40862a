/*
 * net.c - sockets: listen, connect, accept, and printing addresses.
 */
/* NI_MAXHOST, and accept4() and SOCK_CLOEXEC where they exist. */
#define _GNU_SOURCE

/*
 * accept4() and SOCK_CLOEXEC set close-on-exec in the same call, so no exec
 * in another thread can ever see the descriptor without it.  They are
 * POSIX only since 2024; elsewhere, and in an ECHO_PORTABLE build (which
 * proves the fallback on Linux, see mk/reference.mk), fcntl() sets it after.
 */
#if defined(__linux__) && !defined(ECHO_PORTABLE)
#define HAVE_ACCEPT4 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

/* What to do with each address getaddrinfo() offers. */
enum use { USE_LISTEN, USE_CONNECT };

int
nonblocking_mode(int fd, int on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags);
}

#ifndef HAVE_ACCEPT4
/*
 * Makes fd, just returned by socket() or accept(), close-on-exec and
 * blocking: the BSDs copy O_NONBLOCK from a listener to the sockets it
 * accepts, Linux does not, and POSIX leaves it open.  Returns fd, or -1
 * with errno set, fd then closed.
 */
static int
fix_new_fd(int fd)
{
	int saved;

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && nonblocking_mode(fd, 0) == 0)
		return fd;
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}
#endif

static int
cloexec_socket(const struct addrinfo *ai)
{
#ifdef HAVE_ACCEPT4
	return socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
#else
	return fix_new_fd(socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol));
#endif
}

static int
cloexec_accept(int lfd)
{
#ifdef HAVE_ACCEPT4
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
#else
	return fix_new_fd(accept(lfd, NULL, NULL));
#endif
}

static int
try_address(const struct addrinfo *ai, enum use use, int backlog)
{
	int fd, saved, on = 1, off = 0;

	fd = cloexec_socket(ai);
	if (fd < 0)
		return -1;
	if (use == USE_CONNECT) {
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		goto fail;
	}
	/* Lets a restarted server bind at once while old connections sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
		goto fail;
	/* "::" then takes IPv4 too, whatever the system default says. */
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
		return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static int
open_socket(const char *host, const char *port, enum use use, int backlog, int *gaierr)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, saved = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = use == USE_LISTEN ? AI_PASSIVE : 0;
	*gaierr = getaddrinfo(host, port, &hints, &res);
	if (*gaierr != 0) {
		/* EAI_SYSTEM means errno holds the real reason. */
		if (*gaierr == EAI_SYSTEM)
			*gaierr = 0;
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = try_address(ai, use, backlog);
		if (fd < 0)
			saved = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = saved;
	return fd;
}

int
tcp_listen(const char *host, const char *port, int backlog, int *gaierr)
{
	return open_socket(host, port, USE_LISTEN, backlog, gaierr);
}

int
tcp_connect(const char *host, const char *port, int *gaierr)
{
	return open_socket(host, port, USE_CONNECT, 0, gaierr);
}

/*
 * accept(2) hands over errors of connections that died in the queue; they
 * concern that connection only, and the next accept() may well succeed.
 * Linux's page lists EOPNOTSUPP among them too, but it is also the error of
 * a socket that can never accept: retrying it could spin forever.
 */
static int
accept_transient_error(int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case ENETDOWN:
	case ENETUNREACH:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENOPROTOOPT:
#ifdef ENONET
	case ENONET:
#endif
		return 1;
	default:
		return 0;
	}
}

int
accept_retry(int lfd)
{
	int fd;

	do
		fd = cloexec_accept(lfd);
	while (fd < 0 && accept_transient_error(errno));
	return fd;
}

int
accept_resource_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

int
sockaddr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int n;

	if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		goto unknown;
	n = snprintf(buf, len, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, serv);
	if (n < 0 || (size_t)n >= len)
		goto unknown;
	return 0;
unknown:
	(void)snprintf(buf, len, "?");
	return -1;
}

/* getsockname and getpeername share one signature. */
typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static int
format_name(int fd, name_fn fn, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;

	if (fn(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		(void)snprintf(buf, len, "?");
		return -1;
	}
	return sockaddr_format((struct sockaddr *)&ss, sslen, buf, len);
}

int
local_name(int fd, char *buf, size_t len)
{
	return format_name(fd, getsockname, buf, len);
}

int
peer_name(int fd, char *buf, size_t len)
{
	return format_name(fd, getpeername, buf, len);
}

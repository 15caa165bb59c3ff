/*
 * dtu.c — accepting DTU connections and telling them apart (see dtu.h).
 *
 * One thread, one poll loop over the listeners, the connections still
 * registering and a stop pipe. A registering connection's bytes are
 * compared with the registrations of the lines on its listener: a match
 * hands the connection over, bytes that are still the start of some
 * registration wait for more, anything else is an unknown DTU (logged with
 * its first bytes in hex, closed). Invariants: a connection is owned by
 * exactly one of the pending table, a line's slot, or its worker; a slot
 * holds the newest registered connection (an older one not taken yet is
 * closed).
 */
#include "dtu.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "rtuframe.h"

#define MAX_PENDING 32
#define LOOP_MS 200

struct listener {
	int fd;
	const struct line_cfg *first;   /* its bind and port */
};

struct pending {
	int fd;                         /* -1: free */
	size_t listener;
	int64_t deadline_ms;
	size_t len;
	uint8_t buf[CONFIG_PACKET_MAX];
};

struct dtu_hub {
	const struct agent_config *cfg;
	size_t nlisteners;
	struct listener *listeners;     /* one per distinct bind:port */
	struct pending pending[MAX_PENDING];
	pthread_mutex_t mu;
	int *slot;                      /* per line: a registered fd or -1 */
	int stop_pipe[2];
	pthread_t thread;
	int started;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int same_endpoint(const struct line_cfg *a, const struct line_cfg *b)
{
	return a->port == b->port && strcmp(a->bind, b->bind) == 0;
}

static int listen_on(const struct line_cfg *c, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
	struct addrinfo *res = NULL;
	char port[8];
	int fd = -1, one = 1;

	snprintf(port, sizeof(port), "%d", c->port);
	if (getaddrinfo(c->bind, port, &hints, &res) != 0 || res == NULL) {
		snprintf(err, errlen, "line %s: bind: %s is not an IP address",
			 c->id, c->bind);
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 16) != 0) {
		snprintf(err, errlen, "line %s: cannot listen on %s:%d: %s",
			 c->id, c->bind, c->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void pending_close(struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->len = 0;
}

static void accept_one(struct dtu_hub *h, size_t li)
{
	int fd = accept(h->listeners[li].fd, NULL, NULL), one = 1;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (size_t i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &h->pending[i];
		if (p->fd < 0) {
			p->fd = fd;
			p->listener = li;
			p->len = 0;
			p->deadline_ms = mono_ms() + DTU_REGISTER_TIMEOUT_MS;
			return;
		}
	}
	log_warn("dtu refused, too many connections registering: port=%d",
		 h->listeners[li].first->port);
	close(fd);
}

/* The line whose registration p's bytes are: its index; -1 still a
 * prefix of one; -2 none. */
static long match_registration(const struct dtu_hub *h, const struct pending *p)
{
	const struct line_cfg *ep = h->listeners[p->listener].first;
	long prefix = -2;

	for (size_t i = 0; i < h->cfg->nlines; i++) {
		const struct line_cfg *l = &h->cfg->lines[i];
		if (l->type != LINE_DTU || !same_endpoint(l, ep))
			continue;
		if (p->len >= l->registration_len &&
		    memcmp(p->buf, l->registration, l->registration_len) == 0)
			return (long)i;
		if (rtu_is_prefix(p->buf, p->len, l->registration, l->registration_len))
			prefix = -1;
	}
	return prefix;
}

static void hand_over(struct dtu_hub *h, struct pending *p, size_t line)
{
	pthread_mutex_lock(&h->mu);
	if (h->slot[line] >= 0)
		close(h->slot[line]);
	h->slot[line] = p->fd;
	pthread_mutex_unlock(&h->mu);
	log_notice("dtu registered: line=%s", h->cfg->lines[line].id);
	p->fd = -1;
	p->len = 0;
}

static void refuse(struct pending *p, int port, const char *why)
{
	char hex[2 * CONFIG_PACKET_MAX + 1];

	for (size_t i = 0; i < p->len; i++)
		snprintf(hex + 2 * i, 3, "%02x", p->buf[i]);
	hex[2 * p->len] = '\0';
	log_warn("dtu refused: port=%d: %s (first bytes %s)", port, why, hex);
	pending_close(p);
}

static void read_registration(struct dtu_hub *h, struct pending *p)
{
	int port = h->listeners[p->listener].first->port;
	ssize_t r = recv(p->fd, p->buf + p->len, sizeof(p->buf) - p->len,
			 MSG_DONTWAIT);
	long m;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		pending_close(p);
		return;
	}
	p->len += (size_t)r;
	m = match_registration(h, p);
	if (m >= 0)
		hand_over(h, p, (size_t)m);
	else if (m == -2 || p->len == sizeof(p->buf))
		refuse(p, port, "unknown registration");
}

/* Fill fds: the stop pipe, the listeners, then the pending connections
 * (map[k] = their index). Returns the count. */
static nfds_t fill_polls(struct dtu_hub *h, struct pollfd *fds, size_t *map)
{
	nfds_t n = 0;

	fds[n++] = (struct pollfd){ .fd = h->stop_pipe[0], .events = POLLIN };
	for (size_t i = 0; i < h->nlisteners; i++)
		fds[n++] = (struct pollfd){ .fd = h->listeners[i].fd, .events = POLLIN };
	for (size_t i = 0; i < MAX_PENDING; i++) {
		if (h->pending[i].fd < 0)
			continue;
		map[n] = i;
		fds[n++] = (struct pollfd){ .fd = h->pending[i].fd, .events = POLLIN };
	}
	return n;
}

static void *hub_main(void *arg)
{
	struct dtu_hub *h = arg;
	struct pollfd fds[1 + CONFIG_MAX_LINES + MAX_PENDING];
	size_t map[1 + CONFIG_MAX_LINES + MAX_PENDING];

	for (;;) {
		nfds_t n = fill_polls(h, fds, map);
		if (poll(fds, n, LOOP_MS) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		for (nfds_t k = 1; k < n; k++) {
			if (k <= h->nlisteners && fds[k].revents)
				accept_one(h, k - 1);
			else if (k > h->nlisteners && fds[k].revents)
				read_registration(h, &h->pending[map[k]]);
		}
		for (size_t i = 0; i < MAX_PENDING; i++) {
			struct pending *p = &h->pending[i];
			if (p->fd >= 0 && mono_ms() > p->deadline_ms)
				refuse(p, h->listeners[p->listener].first->port,
				       "no registration in time");
		}
	}
	return NULL;
}

static int open_listeners(struct dtu_hub *h, char *err, size_t errlen)
{
	const struct agent_config *cfg = h->cfg;

	h->listeners = calloc(cfg->nlines, sizeof(*h->listeners));
	h->slot = calloc(cfg->nlines, sizeof(*h->slot));
	if (h->listeners == NULL || h->slot == NULL)
		return GFI_E_NOMEM;
	for (size_t i = 0; i < cfg->nlines; i++) {
		const struct line_cfg *l = &cfg->lines[i];
		size_t k = 0;
		h->slot[i] = -1;
		if (l->type != LINE_DTU)
			continue;
		while (k < h->nlisteners && !same_endpoint(h->listeners[k].first, l))
			k++;
		if (k < h->nlisteners)
			continue;
		h->listeners[k].first = l;
		h->listeners[k].fd = listen_on(l, err, errlen);
		if (h->listeners[k].fd < 0)
			return GFI_E_IO;
		h->nlisteners++;
	}
	return GFI_OK;
}

int dtu_hub_start(const struct agent_config *cfg, struct dtu_hub **out,
		  char *err, size_t errlen)
{
	struct dtu_hub *h;
	int rc;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return GFI_E_NOMEM;
	h->cfg = cfg;
	h->stop_pipe[0] = h->stop_pipe[1] = -1;
	pthread_mutex_init(&h->mu, NULL);
	for (size_t i = 0; i < MAX_PENDING; i++)
		h->pending[i].fd = -1;
	rc = open_listeners(h, err, errlen);
	if (rc == GFI_OK && h->nlisteners == 0) {
		dtu_hub_stop(h);
		return GFI_OK;
	}
	if (rc == GFI_OK && pipe(h->stop_pipe) != 0)
		rc = GFI_E_IO;
	if (rc == GFI_OK && pthread_create(&h->thread, NULL, hub_main, h) != 0)
		rc = GFI_E_NOMEM;
	h->started = rc == GFI_OK;
	if (rc != GFI_OK) {
		dtu_hub_stop(h);
		return rc;
	}
	*out = h;
	return GFI_OK;
}

int dtu_hub_take(struct dtu_hub *h, size_t line)
{
	int fd;

	if (h == NULL)
		return -1;
	pthread_mutex_lock(&h->mu);
	fd = h->slot[line];
	h->slot[line] = -1;
	pthread_mutex_unlock(&h->mu);
	return fd;
}

void dtu_hub_stop(struct dtu_hub *h)
{
	if (h == NULL)
		return;
	if (h->started) {
		(void)!write(h->stop_pipe[1], "x", 1);
		pthread_join(h->thread, NULL);
	}
	for (size_t i = 0; i < MAX_PENDING; i++)
		pending_close(&h->pending[i]);
	for (size_t i = 0; i < h->nlisteners; i++)
		close(h->listeners[i].fd);
	for (size_t i = 0; h->slot != NULL && i < h->cfg->nlines; i++)
		if (h->slot[i] >= 0)
			close(h->slot[i]);
	for (int i = 0; i < 2; i++)
		if (h->stop_pipe[i] >= 0)
			close(h->stop_pipe[i]);
	pthread_mutex_destroy(&h->mu);
	free(h->listeners);
	free(h->slot);
	free(h);
}

/*
 * rtulink.c — Modbus RTU transactions on a stream socket (see rtulink.h).
 *
 * Why: serial servers and DTUs forward raw RTU frames over TCP; the only
 * framing is the frame itself, so a reply is whatever the scanner proves
 * it is (rtuframe.c). Invariants: before each request the socket's pending
 * input is dropped (a late reply never answers the next request); the
 * receive buffer only ever holds bytes of the current transaction; the
 * DTU's heartbeat is stripped from it before every scan; a read of EOF or
 * a socket error closes the link (the caller reconnects or waits for the
 * DTU).
 */
#include "rtulink.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#include "deadline.h"
#include "error.h"
#include "log.h"
#include "rtuframe.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define CONNECT_TIMEOUT_S 2

struct rtulink {
	const struct line_cfg *cfg;
	int fd;                  /* -1: not connected */
	int backoff_ms;          /* delay after the next failure */
	int64_t next_try_ms;     /* monotonic: no connect before this */
	size_t len;
	uint8_t buf[4 * RTU_ADU_MAX];
	int slave, timeout_ms;   /* the meter being polled (poll_io) */
};

struct rtulink *rtulink_new(const struct line_cfg *cfg)
{
	struct rtulink *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->cfg = cfg;
	l->fd = -1;
	l->backoff_ms = BACKOFF_MIN_MS;
	return l;
}

void rtulink_close(struct rtulink *l)
{
	if (l != NULL && l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
}

void rtulink_free(struct rtulink *l)
{
	rtulink_close(l);
	free(l);
}

int rtulink_connected(const struct rtulink *l)
{
	return l != NULL && l->fd >= 0;
}

void rtulink_adopt(struct rtulink *l, int fd)
{
	rtulink_close(l);
	l->fd = fd;
	l->len = 0;
}

/* A blocking connect bounded by SO_SNDTIMEO; the fd or -1 with errno. */
static int dial(const struct addrinfo *ai)
{
	struct timeval tv = { CONNECT_TIMEOUT_S, 0 };
	int one = 1, e;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return fd;
	}
	e = errno == EINPROGRESS ? ETIMEDOUT : errno;
	close(fd);
	errno = e;
	return -1;
}

/* Resolve and dial the line's host:port; the fd or -1 with a message. */
static int dial_line(const struct line_cfg *c, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[8];
	int fd = -1, rc;

	snprintf(port, sizeof(port), "%d", c->port);
	if ((rc = getaddrinfo(c->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "line %s: %s: %s", c->id, c->host,
			 gai_strerror(rc));
		return -1;
	}
	for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = dial(ai);
	if (fd < 0)
		snprintf(err, errlen, "line %s: connect to %s:%d failed: %s",
			 c->id, c->host, c->port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

int rtulink_connect(struct rtulink *l, char *err, size_t errlen)
{
	int64_t now = txn_mono_ms();

	if (l->fd >= 0)
		return GFI_OK;
	if (l->cfg->type == LINE_DTU) {
		snprintf(err, errlen, "line %s: no DTU connected", l->cfg->id);
		return GFI_E_STATE;
	}
	if (now < l->next_try_ms) {
		snprintf(err, errlen, "line %s: reconnect in %lld ms", l->cfg->id,
			 (long long)(l->next_try_ms - now));
		return GFI_E_STATE;
	}
	l->fd = dial_line(l->cfg, err, errlen);
	l->len = 0;
	if (l->fd >= 0) {
		l->backoff_ms = BACKOFF_MIN_MS;
		return GFI_OK;
	}
	l->next_try_ms = txn_mono_ms() + l->backoff_ms;
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							   : l->backoff_ms * 2;
	return GFI_E_IO;
}

/* Drop whatever arrived unasked. 0, or -1 when the peer closed or failed. */
static int drain(struct rtulink *l)
{
	uint8_t junk[256];
	ssize_t r;

	l->len = 0;
	while ((r = recv(l->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		;
	return r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
			  errno != EINTR) ? -1 : 0;
}

static int send_request(struct rtulink *l, const uint8_t *req, size_t n)
{
	while (n > 0) {
		ssize_t w = send(l->fd, req, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		req += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Wait up to the transaction's deadline (deadline.h) for more bytes into
 * buf. 1 got some, 0 the deadline passed, -1 the link broke. */
static int receive_more(struct rtulink *l, const struct txn_deadline *d)
{
	ssize_t r;
	int w = txn_wait_readable(l->fd, d);

	if (w == 0)
		return 0;
	if (w < 0)
		return -1;
	if (l->len == sizeof(l->buf))
		l->len = 0;  /* a flood of noise: nothing in it can be kept */
	r = recv(l->fd, l->buf + l->len, sizeof(l->buf) - l->len, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (r <= 0)
		return -1;
	l->len += (size_t)r;
	l->len = rtu_strip(l->buf, l->len, l->cfg->heartbeat, l->cfg->heartbeat_len);
	return 1;
}

static void copy_data(enum gfi_function fn, const struct rtu_reply *r,
		      uint16_t count, uint16_t *regs, uint8_t *bits)
{
	for (uint16_t i = 0; i < count; i++) {
		if (fn == GFI_FN_COIL || fn == GFI_FN_DISCRETE)
			bits[i] = (uint8_t)((r->data[i / 8] >> (i % 8)) & 1);
		else
			regs[i] = (uint16_t)(r->data[2 * i] << 8 | r->data[2 * i + 1]);
	}
}

/* Scan until the reply or the deadline: its result, 0 for the deadline
 * (*damaged: something came that was not the reply), -1 link lost. */
static int await_reply(struct rtulink *l, uint8_t slave, uint8_t fn,
		       uint16_t count, const struct txn_deadline *d,
		       struct rtu_reply *r, int *damaged)
{
	int got;

	while ((got = receive_more(l, d)) > 0) {
		enum rtu_scan_result rc = rtu_scan_reply(l->buf, l->len, slave, fn,
							 count, r);
		if (rc != RTU_SCAN_NEED)
			return rc;
		if (r->rejected > 0 || r->drop > 0)
			*damaged = 1;
		/* Only a reply's possible start is worth keeping. */
		memmove(l->buf, l->buf + r->drop, l->len - r->drop);
		l->len -= r->drop;
	}
	if (got == 0 && l->len > 0)
		*damaged = 1;  /* the start of a reply, cut off */
	return got;
}

int rtulink_read(struct rtulink *l, int slave, int timeout_ms,
		 enum gfi_function fn, uint16_t start, uint16_t count,
		 uint16_t *regs, uint8_t *bits)
{
	uint8_t req[RTU_REQ_LEN];
	struct txn_deadline d;
	struct rtu_reply r;
	int damaged = 0, rc;

	if (l->fd < 0) {
		errno = ECONNRESET;
		return -1;
	}
	rtu_build_read(req, (uint8_t)slave, (uint8_t)fn, start, count);
	if (drain(l) != 0 || send_request(l, req, sizeof(req)) != 0) {
		rtulink_close(l);
		errno = ECONNRESET;
		return -1;
	}
	/* TCP delivers a reply in segments: the overall bound alone, no
	 * byte rule. */
	txn_deadline_start(&d, timeout_ms, 0);
	rc = await_reply(l, (uint8_t)slave, (uint8_t)fn, count, &d, &r, &damaged);
	l->len = 0;
	if (rc == RTU_SCAN_REPLY) {
		copy_data(fn, &r, count, regs, bits);
		return count;
	}
	if (rc == RTU_SCAN_EXCEPTION) {
		errno = MODBUS_ENOBASE + (r.code >= 1 && r.code <= 11 ? r.code : 4);
		return -1;
	}
	if (rc < 0) {
		rtulink_close(l);
		errno = ECONNRESET;
		return -1;
	}
	errno = damaged ? EMBBADCRC : ETIMEDOUT;
	return -1;
}

static int io_read(void *link, enum gfi_function fn, uint16_t start,
		   uint16_t count, uint16_t *regs, uint8_t *bits)
{
	struct rtulink *l = link;

	return rtulink_read(l, l->slave, l->timeout_ms, fn, start, count, regs,
			    bits);
}

/* Drop a late reply; a link that fails doing so is closed and reopened
 * by the next read (with its backoff), so the retry still happens. */
static int io_flush(void *link)
{
	struct rtulink *l = link;

	if (l->fd >= 0 && drain(l) != 0)
		rtulink_close(l);
	return 0;
}

int rtulink_poll_meter(struct poll_meter *pm, struct rtulink *l,
		       int64_t now_s, struct gfi_reading *out)
{
	struct poll_io io = { io_read, io_flush, l };

	l->slave = pm->cfg->slave;
	l->timeout_ms = pm->cfg->timeout_ms;
	return poll_meter_read_io(pm, &io, now_s, out);
}

/*
 * line645.c — DL/T 645-2007 lines: the port, transactions, and meter polls.
 *
 * Why not a library: no Debian package speaks DL/T 645, and the framing is
 * common/dlt645.c's (shared with the simulator). This module owns the file
 * descriptor: termios for a serial port (default 2400 8E1), a TCP socket
 * for a transparent serial server, which carries the same bytes.
 *
 * A transaction drops whatever is pending (a late reply of the previous
 * one), sends one request and reads until the deadline (deadline.h, the
 * rule every line type shares): timeout_ms overall, and once a reply has
 * begun byte_timeout_ms of silence between bytes ends it. The scanner skips noise before the reply and frames with
 * a bad checksum; our own request echoed by a two-wire converter is not a
 * reply and is skipped; a reply from another address ends the transaction
 * as damaged (the bus is half duplex: the meter asked will not speak now).
 *
 * Invariants: fd is -1 when not connected and non-blocking otherwise; a
 * poll writes exactly cfg->npoints readings, through poller.c's
 * poll_accept_value, so values, multipliers and counter judgements are
 * the same as on a Modbus line.
 */
#include "line645.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "error.h"
#include "log.h"

#define CONNECT_TIMEOUT_MS 3000
#define DI_ENERGY 0x00010000u   /* forward active energy: every meter has it */

struct line645 {
	const struct line_cfg *cfg;
	int fd;
	uint8_t rx[2 * DLT645_FRAME_MAX];
	size_t rxlen;
};

struct line645 *line645_new(const struct line_cfg *cfg)
{
	struct line645 *l = calloc(1, sizeof(*l));

	if (l != NULL) {
		l->cfg = cfg;
		l->fd = -1;
	}
	return l;
}

int line645_connected(const struct line645 *l)
{
	return l != NULL && l->fd >= 0;
}

void line645_close(struct line645 *l)
{
	if (l != NULL && l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
}

void line645_free(struct line645 *l)
{
	line645_close(l);
	free(l);
}

static speed_t baud_constant(int baud)
{
	switch (baud) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	default: return B9600;
	}
}

static int open_serial(struct line645 *l, char *err, size_t errlen)
{
	const struct line_cfg *c = l->cfg;
	struct termios t;
	int fd = open(c->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || tcgetattr(fd, &t) != 0) {
		snprintf(err, errlen, "line %s: cannot open %s: %s", c->id,
			 c->device, strerror(errno));
		if (fd >= 0)
			close(fd);
		return GFI_E_IO;
	}
	cfmakeraw(&t);
	cfsetispeed(&t, baud_constant(c->baud));
	cfsetospeed(&t, baud_constant(c->baud));
	t.c_cflag &= (tcflag_t)~(CSIZE | PARENB | PARODD | CSTOPB);
	t.c_cflag |= (c->data_bits == 7 ? CS7 : CS8) | CLOCAL | CREAD;
	if (c->parity != 'N')
		t.c_cflag |= PARENB | (c->parity == 'O' ? PARODD : 0);
	if (c->stop_bits == 2)
		t.c_cflag |= CSTOPB;
	if (tcsetattr(fd, TCSANOW, &t) != 0) {
		snprintf(err, errlen, "line %s: cannot set up %s: %s", c->id,
			 c->device, strerror(errno));
		close(fd);
		return GFI_E_IO;
	}
	l->fd = fd;
	return GFI_OK;
}

/* Non-blocking connect bounded by CONNECT_TIMEOUT_MS. */
static int connect_one(const struct addrinfo *ai)
{
	struct pollfd p;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			SOCK_CLOEXEC, ai->ai_protocol);
	int e = 0, one = 1;
	socklen_t elen = sizeof(e);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)
		goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, CONNECT_TIMEOUT_MS) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0) {
		errno = e ? e : ETIMEDOUT;
		goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int open_tcp(struct line645 *l, char *err, size_t errlen)
{
	const struct line_cfg *c = l->cfg;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%d", c->port);
	rc = getaddrinfo(c->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "line %s: %s: %s", c->id, c->host,
			 gai_strerror(rc));
		return GFI_E_IO;
	}
	for (const struct addrinfo *ai = res; ai != NULL && l->fd < 0; ai = ai->ai_next)
		l->fd = connect_one(ai);
	freeaddrinfo(res);
	if (l->fd < 0) {
		snprintf(err, errlen, "line %s: connect to %s:%d failed: %s",
			 c->id, c->host, c->port, strerror(errno));
		return GFI_E_IO;
	}
	return GFI_OK;
}

int line645_connect(struct line645 *l, char *err, size_t errlen)
{
	line645_close(l);
	l->rxlen = 0;
	return l->cfg->type != LINE_RTU ? open_tcp(l, err, errlen)
					: open_serial(l, err, errlen);
}

/* Drop what is pending: a late reply must not answer the next request. */
static int drain(struct line645 *l)
{
	uint8_t junk[256];
	ssize_t r;

	l->rxlen = 0;
	while ((r = read(l->fd, junk, sizeof(junk))) > 0)
		;
	if (r == 0 && l->cfg->type != LINE_RTU)
		return GFI_E_IO;  /* the server closed the connection */
	if (r < 0 && errno != EAGAIN && errno != EINTR)
		return GFI_E_IO;
	return GFI_OK;
}

static int send_all(struct line645 *l, const uint8_t *buf, size_t n,
		    int64_t deadline)
{
	size_t done = 0;

	while (done < n) {
		struct pollfd p = { .fd = l->fd, .events = POLLOUT };
		ssize_t w = write(l->fd, buf + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return GFI_E_IO;
		if (txn_mono_ms() >= deadline)
			return GFI_E_TIMEOUT;
		poll(&p, 1, (int)(deadline - txn_mono_ms()));
	}
	return GFI_OK;
}

/* What the frame f is to a transaction waiting for addr's reply to control:
 * 1 the reply, 0 not ours to judge (our echo, a request), -1 damage. */
static int judge_frame(const struct dlt645_frame *f, const uint8_t *addr,
		       uint8_t control)
{
	if (!(f->control & DLT645_C_REPLY))
		return 0;
	if ((f->control & 0x1F) != control)
		return -1;
	if (addr != NULL && memcmp(f->addr, addr, DLT645_ADDR_LEN) != 0)
		return -1;
	return 1;
}

/* Wait for bytes under the transaction's deadline (deadline.h). */
static int receive(struct line645 *l, const struct txn_deadline *d)
{
	ssize_t r;

	if (txn_wait_readable(l->fd, d) <= 0)
		return GFI_E_TIMEOUT;
	if (l->rxlen == sizeof(l->rx))
		l->rxlen = 0;  /* a buffer of noise: no frame is that long */
	r = read(l->fd, l->rx + l->rxlen, sizeof(l->rx) - l->rxlen);
	if (r > 0) {
		l->rxlen += (size_t)r;
		return GFI_OK;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return GFI_OK;
	return GFI_E_IO;
}

int line645_transact(struct line645 *l, const uint8_t *req, size_t n,
		     const uint8_t *addr, uint8_t control, int timeout_ms,
		     struct dlt645_frame *reply)
{
	struct txn_deadline d;
	unsigned bad = 0;
	int rc;

	if (l->fd < 0)
		return GFI_E_IO;
	txn_deadline_start(&d, timeout_ms, l->cfg->byte_timeout_ms);
	if ((rc = drain(l)) != GFI_OK || (rc = send_all(l, req, n, d.end_ms)) != GFI_OK)
		return rc == GFI_E_TIMEOUT ? GFI_E_IO : rc;
	for (;;) {
		size_t used = 0;
		rc = receive(l, &d);
		if (rc == GFI_E_IO)
			return rc;
		if (rc == GFI_E_TIMEOUT)
			break;
		txn_deadline_got_bytes(&d);
		while (dlt645_scan(l->rx, l->rxlen, reply, &used, &bad) ==
		       DLT645_SCAN_FRAME) {
			int verdict = judge_frame(reply, addr, control);
			memmove(l->rx, l->rx + used, l->rxlen - used);
			l->rxlen -= used;
			if (verdict != 0)
				return verdict > 0 ? GFI_OK : GFI_E_PROTO;
		}
		memmove(l->rx, l->rx + used, l->rxlen - used);
		l->rxlen -= used;
		/* A whole frame with a bad checksum and nothing after it: the
		 * reply came, damaged; no second one follows on a half-duplex
		 * bus, so waiting out the byte timeout would only cost time. */
		if (bad > 0 && l->rxlen == 0)
			return GFI_E_PROTO;
	}
	/* Bytes without a reply in them: noise, a cut or damaged frame. */
	return d.began || bad ? GFI_E_PROTO : GFI_E_TIMEOUT;
}

/* Read point idx of the meter with the meter's retries. */
static int read_point(struct poll_meter *pm, struct line645 *l, size_t idx,
		      struct dlt645_frame *reply)
{
	const struct meter_cfg *m = pm->cfg;
	const struct gfi_point *pt = m->points[idx].pt;
	uint8_t req[DLT645_FRAME_MAX];
	size_t n = dlt645_build_read(m->address, pt->di, req, sizeof(req));
	int tries = pm->fail_streak >= 3 ? 1 : 1 + m->retries;
	int rc = GFI_E_TIMEOUT;

	for (int i = 0; i < tries && !poll_stopping(pm); i++) {
		pm->requests++;
		rc = line645_transact(l, req, n, m->address, DLT645_C_READ,
				      m->timeout_ms, reply);
		if (rc == GFI_OK || rc == GFI_E_IO)
			break;
	}
	return rc;
}

/* A reply to point idx into its reading: an error reply, a value, or a
 * reply for another identifier or of the wrong size (damage). */
static void take_reply(struct poll_meter *pm, size_t idx,
		       const struct dlt645_frame *f, struct gfi_reading *r)
{
	const struct gfi_point *pt = pm->cfg->points[idx].pt;
	uint32_t di;
	double v = 0;
	int rc;

	if (f->control & DLT645_C_ERROR) {
		poll_set_failed(r, GFI_ST_EXCEPTION, f->len > 0 ? f->data[0] : 0);
		return;
	}
	di = f->len < 4 ? 0 : (uint32_t)f->data[0] | (uint32_t)f->data[1] << 8 |
			       (uint32_t)f->data[2] << 16 | (uint32_t)f->data[3] << 24;
	if (f->len != 4 + pt->format.bytes || di != pt->di) {
		poll_set_failed(r, GFI_ST_COMM, 0);
		return;
	}
	pm->registers += pt->format.bytes;
	rc = gfi_point_decode_bcd(pt, f->data + 4, &v);
	poll_accept_value(pm, idx, rc, v, r);
}

int line645_poll_meter(struct poll_meter *pm, struct line645 *l,
		       int64_t now_s, struct gfi_reading *out)
{
	struct dlt645_frame reply;
	int answered = 0, rc = GFI_OK;

	poll_init_readings(pm, now_s, out);
	for (size_t i = 0; i < pm->cfg->npoints && !poll_stopping(pm); i++) {
		rc = read_point(pm, l, i, &reply);
		if (rc == GFI_OK) {
			answered = 1;
			take_reply(pm, i, &reply, &out[i]);
		} else if (rc == GFI_E_PROTO) {
			answered = 1;  /* something spoke: not a silent meter */
			poll_set_failed(&out[i], GFI_ST_COMM, 0);
		} else {
			/* Silent (the rest keep TIMEOUT: one timeout per poll,
			 * not one per point) or the link broke. */
			break;
		}
	}
	return poll_finish(pm, rc == GFI_E_IO, answered, out);
}

int line645_read_address(struct line645 *l, int timeout_ms,
			 uint8_t addr[DLT645_ADDR_LEN])
{
	uint8_t req[DLT645_FRAME_MAX];
	struct dlt645_frame f;
	size_t n = dlt645_build_read_addr(req, sizeof(req));
	int rc = line645_transact(l, req, n, NULL, DLT645_C_READ_ADDR,
				  timeout_ms, &f);

	if (rc != GFI_OK)
		return rc;
	if ((f.control & DLT645_C_ERROR) || f.len != DLT645_ADDR_LEN)
		return GFI_E_PROTO;
	memcpy(addr, f.data, DLT645_ADDR_LEN);
	return GFI_OK;
}

int line645_probe(struct line645 *l, const uint8_t addr[DLT645_ADDR_LEN],
		  int timeout_ms)
{
	uint8_t req[DLT645_FRAME_MAX];
	struct dlt645_frame f;
	size_t n = dlt645_build_read(addr, DI_ENERGY, req, sizeof(req));

	return line645_transact(l, req, n, addr, DLT645_C_READ, timeout_ms, &f);
}

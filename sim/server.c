/*
 * server.c — serving simulated meters over Modbus TCP and RTU (libmodbus).
 *
 * What: one pselect loop over every TCP listener, every TCP client and every
 * RTU port. Each request selects a meter by its unit id, applies that
 * meter's active faults, fills the meter's modbus_mapping from the model at
 * the current second and answers with modbus_reply.
 *
 * Why our own RTU framing: libmodbus 3.1.6's RTU receive path accepts only
 * ctx->slave; a request for another slave returns 0 and sets an internal
 * "confirmation to ignore" flag that swallows the next request. One line
 * carrying several slave ids therefore cannot use modbus_receive, so this
 * module frames requests itself (slave, function, length by function, CRC)
 * and only uses libmodbus to open the port (termios) and to build replies.
 *
 * Choices: an unknown unit id over TCP gets exception 11 (gateway target
 * device failed to respond), as a Modbus gateway answers; over RTU it gets no
 * reply, as on a real RS-485 line. Writes (5, 6, 15, 16, 22, 23) get
 * exception 1: simulated meters are read only. Registers between points of a
 * function read as 0; outside [first point, last point end) libmodbus answers
 * exception 2. A "slow" fault sleeps in the loop, so it delays every other
 * client and line too (acceptable for a simulator; documented).
 *
 * A line with protocol dlt645 shares the listeners, ports and loop, and
 * hands its bytes to serve645.c instead (a receive buffer per connection).
 * RTU frames on TCP (tcp lines with framing rtu, DTUs) share them too and
 * are framed and answered by stream.c (server_rt.h is their common state).
 *
 * Invariants: every fd in the loop is < FD_SETSIZE; a closed fd is -1; the
 * modbus contexts never own client sockets (we close them ourselves).
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <modbus/modbus.h>

#include "error.h"
#include "log.h"
#include "model.h"
#include "serve645.h"
#include "server_rt.h"

#define RTU_REOPEN_S 1
#define LOOP_TIMEOUT_MS 100  /* also the DTU dial and heartbeat tick */

/* ---- RTU framing ----------------------------------------------------- */

/* Hand-written: libmodbus does not export its crc16, and its receive path
 * (which checks the CRC) filters on one slave id (see the top comment). */
uint16_t sim_crc16(const uint8_t *buf, size_t len)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) :
					  (uint16_t)(crc >> 1);
	}
	return crc;
}

int sim_rtu_request_length(const uint8_t *buf, size_t have)
{
	if (have < 2)
		return 0;
	switch (buf[1]) {
	case 1: case 2: case 3: case 4: case 5: case 6:
		return 8; /* slave, function, 4 bytes of address/value, CRC */
	case 15: case 16:
		/* slave, function, address, quantity, byte count, data, CRC */
		return have < 7 ? 0 : 7 + buf[6] + 2;
	default:
		return -1;
	}
}

/* Read exactly n bytes, waiting at most RTU_BYTE_TIMEOUT_MS for each chunk.
 * 0, or -1 on timeout, -2 on a dead port (EOF or error). */
static int read_exact(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		fd_set rd;
		struct timeval tv = { 0, RTU_BYTE_TIMEOUT_MS * 1000 };
		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		int rc = select(fd + 1, &rd, NULL, NULL, &tv);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -2;
		if (rc == 0)
			return -1;
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return -2;
		got += (size_t)r;
	}
	return 0;
}

/* Read one request into buf. > 0 its length; 0 nothing usable (garbage,
 * timeout, bad CRC: input flushed); -2 the port is dead. */
int rtu_read_request(int fd, uint8_t *buf, size_t cap,
			    const char *line_id)
{
	size_t have = 2;
	int want, rc;

	if ((rc = read_exact(fd, buf, have)) < 0)
		goto drop;
	want = sim_rtu_request_length(buf, have);
	if (want == 0) {
		if ((rc = read_exact(fd, buf + have, 7 - have)) < 0)
			goto drop;
		have = 7;
		want = sim_rtu_request_length(buf, have);
	}
	rc = -1;
	if (want < 0 || (size_t)want > cap)
		goto drop;
	if ((rc = read_exact(fd, buf + have, (size_t)want - have)) < 0)
		goto drop;
	if (sim_crc16(buf, (size_t)want - 2) !=
	    (uint16_t)(buf[want - 2] | (buf[want - 1] << 8))) {
		rc = -1;
		goto drop;
	}
	return want;
drop:
	if (rc == -2)
		return -2;
	/* Resynchronise: whatever is pending belongs to the broken frame. */
	log_debug("rtu frame dropped: line=%s slave=%u function=%u", line_id,
		  buf[0], buf[1]);
	tcflush(fd, TCIFLUSH);
	return 0;
}

/* ---- requests -------------------------------------------------------- */

static int is_write(int fc)
{
	return fc == 5 || fc == 6 || fc == 15 || fc == 16 || fc == 22 ||
	       fc == 23;
}

unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Whether fault f concerns a read of [addr, addr+count) with function fc. */
int fault_matches(const struct sim_fault *f, int fc, unsigned addr,
			 unsigned count, int64_t now)
{
	if (now < f->from_s || now >= f->to_s)
		return 0;
	if (f->npoints == 0)
		return 1;
	for (size_t i = 0; i < f->npoints; i++) {
		const struct gfi_point *pt = f->points[i];
		unsigned end = pt->address + gfi_point_width(pt);
		if ((int)pt->function == fc && pt->address < addr + count &&
		    addr < end)
			return 1;
	}
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Apply the meter's faults. Returns 1 when the request must get no reply,
 * else 0 with *exc the exception code to answer (0: answer normally). */
static int apply_faults(const struct sim_meter *m, int fc, unsigned addr,
			unsigned count, int64_t now, int *exc)
{
	int delay_ms = 0, silent = 0;

	*exc = 0;
	for (size_t i = 0; i < m->nfaults; i++) {
		const struct sim_fault *f = &m->faults[i];
		if (!fault_matches(f, fc, addr, count, now))
			continue;
		if (f->kind == SIM_FAULT_TIMEOUT)
			silent = 1;
		else if (f->kind == SIM_FAULT_EXCEPTION && *exc == 0)
			*exc = f->code;
		else if (f->kind == SIM_FAULT_SLOW && f->delay_ms > delay_ms)
			delay_ms = f->delay_ms;
	}
	if (silent)
		return 1;
	if (delay_ms > 0)
		sleep_ms(delay_ms);
	return 0;
}

static void store_point(struct meter_rt *mr, const struct gfi_point *pt,
			const uint16_t *words)
{
	modbus_mapping_t *map = mr->map;
	int off = (int)pt->address - mr->start[pt->function];
	unsigned w = gfi_point_width(pt);

	switch (pt->function) {
	case GFI_FN_COIL:
		map->tab_bits[off] = words[0] ? 1 : 0;
		break;
	case GFI_FN_DISCRETE:
		map->tab_input_bits[off] = words[0] ? 1 : 0;
		break;
	case GFI_FN_HOLDING:
		memcpy(&map->tab_registers[off], words, w * sizeof(*words));
		break;
	case GFI_FN_INPUT:
		memcpy(&map->tab_input_registers[off], words, w * sizeof(*words));
		break;
	}
}

/* Fill the points of function fc overlapping [addr, addr+count) from the
 * model at second now. */
static void fill_mapping(struct meter_rt *mr, int fc, unsigned addr,
			 unsigned count, int64_t now)
{
	const struct gfi_profile *p = mr->m->profile;

	for (size_t i = 0; i < p->npoints; i++) {
		const struct gfi_point *pt = &p->points[i];
		uint16_t words[4] = { 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF };
		unsigned end = pt->address + gfi_point_width(pt);
		if ((int)pt->function != fc || pt->address >= addr + count ||
		    end <= addr)
			continue;
		double v = model_value(mr->m, pt, now);
		int rc = gfi_point_encode(pt, v, words);
		if (rc != GFI_OK && !mr->warned) {
			mr->warned = 1;
			log_warn("cannot encode value: meter=%s point=%s "
				 "value=%.17g: %s (register reads 0xFFFF)",
				 mr->m->id, pt->name, v, gfi_strerror(rc));
		}
		if (rc != GFI_OK)
			memset(words, 0xFF, sizeof(words));
		store_point(mr, pt, words);
	}
}

static void reply(struct line_rt *l, const uint8_t *req, int len, int exc,
		  modbus_mapping_t *map)
{
	int rc = exc ? modbus_reply_exception(l->out, req, (unsigned)exc) :
		       modbus_reply(l->out, req, len, map);

	if (rc < 0)
		log_debug("modbus reply failed: line=%s: %s", l->cfg->id,
			  modbus_strerror(errno));
}

/* The second a request is answered at. Not time(): glibc serves it from
 * the kernel's coarse clock, which lags CLOCK_REALTIME by up to a tick
 * just after a second starts, so a poll stamped t could get t-1's value. */
int64_t request_time_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Answer one complete request; hdr is the offset of the function byte
 * (7 for TCP, 1 for RTU), the unit id is just before it. */
void handle_request(struct line_rt *l, const uint8_t *req, int len,
			   int hdr)
{
	int slave = req[hdr - 1], fc = req[hdr], exc = 0;
	struct meter_rt *mr = l->by_slave[slave < 248 ? slave : 0];
	int64_t now = request_time_s();

	if (mr == NULL) {
		log_debug("request for unknown unit: line=%s unit=%d",
			  l->cfg->id, slave);
		if (l->cfg->transport == SIM_TCP && !l->cfg->rtu_stream)
			reply(l, req, len, MODBUS_EXCEPTION_GATEWAY_TARGET,
			      NULL);
		return;
	}
	modbus_set_slave(l->out, slave);
	if (is_write(fc)) {
		reply(l, req, len, MODBUS_EXCEPTION_ILLEGAL_FUNCTION, NULL);
		return;
	}
	if (fc < 1 || fc > 4 || len < hdr + 5) {
		/* Diagnostics and unknown functions: libmodbus answers. */
		reply(l, req, len, 0, mr->map);
		return;
	}
	unsigned addr = be16(req + hdr + 1), count = be16(req + hdr + 3);
	if (apply_faults(mr->m, fc, addr, count, now, &exc))
		return;
	if (exc == 0)
		fill_mapping(mr, fc, addr, count, request_time_s());
	reply(l, req, len, exc, mr->map);
}

/* ---- TCP ------------------------------------------------------------- */

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->line = NULL;
}

static void tcp_accept(struct sim_server *s, struct line_rt *l)
{
	int fd = accept(l->listen_fd, NULL, NULL);

	if (fd < 0) {
		log_warn("accept failed: line=%s: %s", l->cfg->id,
			 strerror(errno));
		return;
	}
	for (size_t i = 0; i < MAX_CLIENTS && fd < FD_SETSIZE; i++) {
		if (s->clients[i].fd < 0) {
			s->clients[i].fd = fd;
			s->clients[i].line = l;
			s->clients[i].rx.len = 0;
			log_info("client connected: line=%s fd=%d", l->cfg->id,
				 fd);
			return;
		}
	}
	log_warn("client refused, too many connections: line=%s", l->cfg->id);
	close(fd);
}

static void tcp_serve(struct sim_server *s, struct client *c)
{
	uint8_t req[MODBUS_TCP_MAX_ADU_LENGTH];
	struct line_rt *l = c->line;
	int len;

	if (l->cfg->rtu_stream) {
		if (stream_serve(s, l, c->fd) != 0) {
			log_info("client closed: line=%s fd=%d", l->cfg->id, c->fd);
			client_close(c);
		}
		return;
	}
	if (l->cfg->dlt645) {
		if (serve645_input(l->cfg, c->fd, &c->rx) != 0) {
			log_info("client closed: line=%s fd=%d", l->cfg->id, c->fd);
			client_close(c);
		}
		return;
	}
	modbus_set_socket(l->ctx, c->fd);
	len = modbus_receive(l->ctx, req);
	if (len < 0) {
		log_info("client closed: line=%s fd=%d: %s", l->cfg->id, c->fd,
			 modbus_strerror(errno));
		client_close(c);
		return;
	}
	if (len >= 8) /* MBAP header (7) and a function byte */
		handle_request(l, req, len, 7);
}

/* ---- RTU ------------------------------------------------------------- */

static int rtu_open(struct line_rt *l, char *err, size_t errlen)
{
	const struct sim_line *c = l->cfg;

	if (l->ctx == NULL)
		l->ctx = modbus_new_rtu(c->device, c->baud, 'N', 8, 1);
	if (l->ctx == NULL) {
		snprintf(err, errlen, "rtu[%zu].device: %s: %s", l->index,
			 c->device, modbus_strerror(errno));
		return GFI_E_IO;
	}
	if (modbus_connect(l->ctx) != 0) {
		snprintf(err, errlen, "rtu[%zu].device: cannot open %s: %s",
			 l->index, c->device, modbus_strerror(errno));
		return GFI_E_IO;
	}
	l->fd = modbus_get_socket(l->ctx);
	if (l->fd >= FD_SETSIZE) {
		modbus_close(l->ctx);
		l->fd = -1;
		snprintf(err, errlen, "rtu[%zu].device: descriptor too large",
			 l->index);
		return GFI_E_IO;
	}
	return GFI_OK;
}

static void rtu_lost(struct line_rt *l)
{
	log_err("rtu port lost, reopening every %d s: line=%s device=%s",
		RTU_REOPEN_S, l->cfg->id, l->cfg->device);
	modbus_close(l->ctx);
	l->fd = -1;
	l->reopen_at = time(NULL) + RTU_REOPEN_S;
}

static void rtu_serve(struct line_rt *l)
{
	uint8_t req[MODBUS_RTU_MAX_ADU_LENGTH];
	int len;

	if (l->cfg->dlt645) {
		if (serve645_input(l->cfg, l->fd, &l->rx) != 0)
			rtu_lost(l);
		return;
	}
	len = rtu_read_request(l->fd, req, sizeof(req), l->cfg->id);

	if (len == -2)
		rtu_lost(l);
	else if (len > 0 && req[0] != 0) /* 0: broadcast, never answered */
		handle_request(l, req, len, 1);
}

static void rtu_retry(struct line_rt *l)
{
	char err[256];

	if (l->fd >= 0 || time(NULL) < l->reopen_at)
		return;
	if (rtu_open(l, err, sizeof(err)) == GFI_OK) {
		log_notice("rtu port reopened: line=%s", l->cfg->id);
		return;
	}
	l->reopen_at = time(NULL) + RTU_REOPEN_S;
}

/* ---- setup ----------------------------------------------------------- */

static void point_span(const struct gfi_profile *p, int fn, int *start,
		       int *count)
{
	int lo = 65536, hi = 0;

	for (size_t i = 0; i < p->npoints; i++) {
		const struct gfi_point *pt = &p->points[i];
		int end = (int)pt->address + (int)gfi_point_width(pt);
		if ((int)pt->function != fn)
			continue;
		if ((int)pt->address < lo)
			lo = pt->address;
		if (end > hi)
			hi = end;
	}
	*start = lo < hi ? lo : 0;
	*count = lo < hi ? hi - lo : 0;
}

static int meter_setup(struct meter_rt *mr, const struct sim_meter *m)
{
	int n[5] = { 0 };

	mr->m = m;
	for (int fn = 1; fn <= 4; fn++)
		point_span(m->profile, fn, &mr->start[fn], &n[fn]);
	mr->map = modbus_mapping_new_start_address(
		(unsigned)mr->start[1], (unsigned)n[1], (unsigned)mr->start[2],
		(unsigned)n[2], (unsigned)mr->start[3], (unsigned)n[3],
		(unsigned)mr->start[4], (unsigned)n[4]);
	return mr->map ? GFI_OK : GFI_E_NOMEM;
}

static int tcp_open(struct line_rt *l, char *err, size_t errlen)
{
	const struct sim_line *c = l->cfg;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);

	l->ctx = modbus_new_tcp(c->host, c->port);
	if (l->ctx == NULL)
		goto fail;
	l->listen_fd = modbus_tcp_listen(l->ctx, 16);
	if (l->listen_fd < 0)
		goto fail;
	if (l->listen_fd >= FD_SETSIZE ||
	    getsockname(l->listen_fd, (struct sockaddr *)&sa, &salen) != 0)
		goto fail;
	l->port = ntohs(sa.sin_port);
	return GFI_OK;
fail:
	snprintf(err, errlen, "tcp[%zu].port: cannot listen on %s:%d: %s",
		 l->index, c->host, c->port, modbus_strerror(errno));
	return GFI_E_IO;
}

static int line_open(struct line_rt *l, char *err, size_t errlen)
{
	const struct sim_line *c = l->cfg;
	int rc;

	l->meters = calloc(c->nmeters, sizeof(*l->meters));
	if (l->meters == NULL)
		return GFI_E_NOMEM;
	for (size_t i = 0; i < c->nmeters; i++) {
		if ((rc = meter_setup(&l->meters[i], &c->meters[i])) != GFI_OK)
			return rc;
		if (!c->dlt645)
			l->by_slave[c->meters[i].slave] = &l->meters[i];
	}
	if (c->rtu_stream) {
		/* Never connected: only builds replies, through capture. */
		l->out = modbus_new_rtu("/dev/null", 9600, 'N', 8, 1);
		if (l->out == NULL)
			return GFI_E_NOMEM;
	}
	if (c->transport == SIM_DTU)
		return GFI_OK;  /* dials from the loop (dtu_redial) */
	rc = c->transport == SIM_TCP ? tcp_open(l, err, errlen) :
				       rtu_open(l, err, errlen);
	if (l->out == NULL)
		l->out = l->ctx;
	return rc;
}

int sim_server_open(const struct sim_config *cfg, struct sim_server **out,
		    char *err, size_t errlen)
{
	struct sim_server *s = NULL;
	size_t ntcp = 0, nrtu = 0, ndtu = 0;
	int rc = GFI_E_NOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s != NULL)
		s->capture[0] = s->capture[1] = -1;
	if (s == NULL || (s->lines = calloc(cfg->nlines, sizeof(*s->lines))) ==
				 NULL)
		goto cleanup;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s->capture) != 0) {
		s->capture[0] = s->capture[1] = -1;
		snprintf(err, errlen, "server: socketpair: %s", strerror(errno));
		rc = GFI_E_IO;
		goto cleanup;
	}
	for (size_t i = 0; i < cfg->nlines; i++) {
		struct line_rt *l = &s->lines[i];
		l->cfg = &cfg->lines[i];
		l->index = l->cfg->transport == SIM_TCP ? ntcp++ :
			   l->cfg->transport == SIM_DTU ? ndtu++ : nrtu++;
		l->listen_fd = -1;
		l->fd = -1;
		s->nlines++;
		rc = line_open(l, err, errlen);
		if (rc == GFI_E_NOMEM)
			snprintf(err, errlen, "server: out of memory");
		if (rc != GFI_OK)
			goto cleanup;
	}
	*out = s;
	s = NULL;
	rc = GFI_OK;
cleanup:
	sim_server_close(s);
	return rc;
}

int sim_server_write_ready(const struct sim_server *s, const char *path,
			   char *err, size_t errlen)
{
	char tmp[4096];
	FILE *f;
	int ok = 1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "--ready-file: path too long");
		return GFI_E_INVAL;
	}
	f = fopen(tmp, "w");
	if (f == NULL) {
		snprintf(err, errlen, "--ready-file: cannot create %s: %s", tmp,
			 strerror(errno));
		return GFI_E_IO;
	}
	for (size_t i = 0; i < s->nlines; i++) {
		const struct line_rt *l = &s->lines[i];
		if (l->cfg->transport == SIM_TCP)
			ok &= fprintf(f, "tcp %s %d\n", l->cfg->id, l->port) > 0;
		else if (l->cfg->transport == SIM_DTU)
			ok &= fprintf(f, "dtu %s %d\n", l->cfg->id,
				      l->cfg->port) > 0;
		else
			ok &= fprintf(f, "rtu %s %s\n", l->cfg->id,
				      l->cfg->device) > 0;
	}
	ok &= fprintf(f, "ready\n") > 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "--ready-file: cannot write %s: %s", path,
			 strerror(errno));
		unlink(tmp);
		return GFI_E_IO;
	}
	return GFI_OK;
}

/* ---- loop ------------------------------------------------------------ */

static int fill_fds(struct sim_server *s, fd_set *rd)
{
	int maxfd = -1;

	FD_ZERO(rd);
	for (size_t i = 0; i < s->nlines; i++) {
		int fd = s->lines[i].cfg->transport == SIM_TCP ?
				 s->lines[i].listen_fd : s->lines[i].fd;
		if (fd < 0)
			continue;
		FD_SET(fd, rd);
		if (fd > maxfd)
			maxfd = fd;
	}
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		int fd = s->clients[i].fd;
		if (fd < 0)
			continue;
		FD_SET(fd, rd);
		if (fd > maxfd)
			maxfd = fd;
	}
	return maxfd;
}

static void dispatch(struct sim_server *s, fd_set *rd)
{
	for (size_t i = 0; i < s->nlines; i++) {
		struct line_rt *l = &s->lines[i];
		if (l->cfg->transport == SIM_TCP && FD_ISSET(l->listen_fd, rd))
			tcp_accept(s, l);
		else if (l->cfg->transport == SIM_RTU && l->fd >= 0 &&
			 FD_ISSET(l->fd, rd))
			rtu_serve(l);
		else if (l->cfg->transport == SIM_DTU && l->fd >= 0 &&
			 FD_ISSET(l->fd, rd))
			dtu_serve(s, l);
	}
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		/* A client accepted in this round is not in rd yet. */
		if (s->clients[i].fd >= 0 && FD_ISSET(s->clients[i].fd, rd))
			tcp_serve(s, &s->clients[i]);
	}
}

int sim_server_run(struct sim_server *s, const volatile sig_atomic_t *stop,
		   const sigset_t *wait_mask)
{
	while (!*stop) {
		struct timespec ts = { 0, LOOP_TIMEOUT_MS * 1000000L };
		fd_set rd;
		int maxfd = fill_fds(s, &rd);
		int rc = pselect(maxfd + 1, &rd, NULL, NULL, &ts, wait_mask);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			log_err("select failed: %s", strerror(errno));
			return GFI_E_IO;
		}
		if (rc > 0)
			dispatch(s, &rd);
		for (size_t i = 0; i < s->nlines; i++) {
			if (s->lines[i].cfg->transport == SIM_RTU)
				rtu_retry(&s->lines[i]);
			else if (s->lines[i].cfg->transport == SIM_DTU)
				dtu_tick(&s->lines[i]);
		}
	}
	return GFI_OK;
}

static void line_close(struct line_rt *l)
{
	if (l->listen_fd >= 0)
		close(l->listen_fd);
	if (l->ctx != NULL) {
		if (l->cfg->transport == SIM_RTU && l->fd >= 0)
			modbus_close(l->ctx);
		modbus_free(l->ctx);
	}
	if (l->out != NULL && l->out != l->ctx)
		modbus_free(l->out);
	if (l->cfg->transport == SIM_DTU && l->fd >= 0)
		close(l->fd);
	for (size_t i = 0; l->meters != NULL && i < l->cfg->nmeters; i++)
		modbus_mapping_free(l->meters[i].map);
	free(l->meters);
}

void sim_server_close(struct sim_server *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		client_close(&s->clients[i]);
	for (size_t i = 0; i < s->nlines; i++)
		line_close(&s->lines[i]);
	for (int i = 0; i < 2; i++)
		if (s->capture[i] >= 0)
			close(s->capture[i]);
	free(s->lines);
	free(s);
}

/*
 * stream.c — RTU frames on TCP in the simulator: tcp lines with "framing":
 * "rtu" (a transparent serial server) and DTUs that dial the gateway.
 *
 * What: read an RTU request from the connection, answer it as any other
 * request (handle_request builds the reply into a socketpair through an
 * RTU libmodbus context), then send the reply in one write with the stream
 * faults applied (garbage before, a broken CRC, only half of it) and, on a
 * DTU, a due heartbeat in its middle. A DTU dials, sends its registration,
 * sends heartbeats on time and redials after losing its connection.
 * Invariants: a reply is one write (a reply in pieces would wait on Nagle
 * and delayed ACKs); a DTU's fd is -1 exactly while it is away.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "log.h"
#include "server_rt.h"

#define DTU_REDIAL_MS 300
#define DTU_CONNECT_TIMEOUT_S 1

enum { SF_GARBAGE = 1, SF_BADCRC = 2, SF_TRUNCATE = 4 };

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The stream faults (SF_*) of the meter req is for, active for it now. */
static int stream_faults(const struct line_rt *l, const uint8_t *req, int len)
{
	const struct meter_rt *mr = l->by_slave[req[0] < 248 ? req[0] : 0];
	int mask = 0;

	for (size_t i = 0; mr != NULL && len >= 6 && i < mr->m->nfaults; i++) {
		const struct sim_fault *f = &mr->m->faults[i];
		if (!fault_matches(f, req[1], be16(req + 2), be16(req + 4),
				   request_time_s()))
			continue;
		mask |= f->kind == SIM_FAULT_GARBAGE ? SF_GARBAGE
		      : f->kind == SIM_FAULT_BAD_CHECKSUM ? SF_BADCRC
		      : f->kind == SIM_FAULT_TRUNCATED ? SF_TRUNCATE : 0;
	}
	return mask;
}

static int write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Whether l is a DTU whose heartbeat is due; if so the next is scheduled. */
static int heartbeat_due(struct line_rt *l)
{
	int64_t now = mono_ms();

	if (l->cfg->transport != SIM_DTU || l->cfg->heartbeat_ms <= 0 ||
	    l->cfg->heartbeat_len == 0 || now < l->heartbeat_ms)
		return 0;
	l->heartbeat_ms = now + l->cfg->heartbeat_ms;
	return 1;
}

/* Send reply rep (n bytes) with its faults: noise that looks like a frame
 * start before it, its CRC broken, or only its first half; a DTU's due
 * heartbeat goes in its middle. */
static int stream_send(struct line_rt *l, int fd, uint8_t *rep, size_t n,
		       int faults)
{
	const uint8_t noise[] = { 0x00, rep[0], rep[1], 0xFA, 0x55 };
	uint8_t out[sizeof(noise) + MODBUS_RTU_MAX_ADU_LENGTH + SIM_PACKET_MAX];
	size_t half = n / 2, len = 0;

	if (faults & SF_BADCRC)
		rep[n - 1] ^= 0x5A;
	if (faults & SF_TRUNCATE)
		n = half;
	if (faults & SF_GARBAGE) {
		memcpy(out, noise, sizeof(noise));
		len = sizeof(noise);
	}
	memcpy(out + len, rep, half);
	len += half;
	if (heartbeat_due(l)) {
		memcpy(out + len, l->cfg->heartbeat, l->cfg->heartbeat_len);
		len += l->cfg->heartbeat_len;
	}
	memcpy(out + len, rep + half, n - half);
	/* One write: a reply in pieces would wait out Nagle and delayed ACKs. */
	return write_all(fd, out, len + n - half);
}

/* Answer one RTU request arriving on fd. 0, or -1 when fd is closed. */
int stream_serve(struct sim_server *s, struct line_rt *l, int fd)
{
	uint8_t req[MODBUS_RTU_MAX_ADU_LENGTH], rep[MODBUS_RTU_MAX_ADU_LENGTH];
	int len = rtu_read_request(fd, req, sizeof(req), l->cfg->id);
	ssize_t n;

	if (len == -2)
		return -1;
	if (len <= 0 || req[0] == 0)
		return 0;
	modbus_set_socket(l->out, s->capture[0]);
	handle_request(l, req, len, 1);
	n = recv(s->capture[1], rep, sizeof(rep), MSG_DONTWAIT);
	if (n <= 0)
		return 0;  /* silent: a timeout fault or an unknown slave */
	return stream_send(l, fd, rep, (size_t)n, stream_faults(l, req, len));
}

static void dtu_lost(struct line_rt *l, const char *why)
{
	log_notice("dtu connection lost: line=%s: %s", l->cfg->id, why);
	close(l->fd);
	l->fd = -1;
	l->redial_ms = mono_ms() + DTU_REDIAL_MS;
}

void dtu_serve(struct sim_server *s, struct line_rt *l)
{
	if (stream_serve(s, l, l->fd) != 0)
		dtu_lost(l, "closed by the gateway");
}

/* Dial the gateway and register; the fd or -1. */
static int dtu_dial(const struct sim_line *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)c->port) };
	struct timeval tv = { DTU_CONNECT_TIMEOUT_S, 0 };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (inet_pton(AF_INET, c->host, &sa.sin_addr) != 1 || fd >= FD_SETSIZE ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write_all(fd, c->registration, c->registration_len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* From the loop: dial while away, send a due heartbeat while connected. */
void dtu_tick(struct line_rt *l)
{
	if (l->fd < 0) {
		if (mono_ms() < l->redial_ms)
			return;
		l->fd = dtu_dial(l->cfg);
		l->redial_ms = mono_ms() + DTU_REDIAL_MS;
		if (l->fd >= 0)
			log_info("dtu registered: line=%s port=%d", l->cfg->id,
				 l->cfg->port);
		return;
	}
	if (heartbeat_due(l) &&
	    write_all(l->fd, l->cfg->heartbeat, l->cfg->heartbeat_len) != 0)
		dtu_lost(l, "heartbeat failed");
}

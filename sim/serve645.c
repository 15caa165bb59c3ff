/*
 * serve645.c — answering DL/T 645-2007 requests from the simulator's model.
 *
 * What: requests (read data 0x11, read address 0x13) are found in a
 * connection's bytes with dlt645_scan, so the simulator resynchronises
 * after noise exactly as the agent must; each is answered from model_value
 * at the second it is handled, encoded in the point's BCD format.
 *
 * Choices, as a real RS-485 line behaves: a request for an address no meter
 * has gets no reply; a read of an identifier the profile lacks gets an
 * error reply with error byte 0x02 (no requested data, DL/T 645-2007
 * 7.1.3); read address is answered only when the line has one meter (more
 * would collide on a real bus); replies of other devices are ignored. The
 * faults garbage, bad_checksum, wrong_address and byte_slow damage only the
 * reply they apply to. A value the format cannot hold is sent as FF bytes,
 * which the agent reads as a decode error.
 */
#include "serve645.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dlt645.h"
#include "error.h"
#include "log.h"
#include "model.h"

#define ERR_NO_DATA 0x02   /* error byte bit 1: no requested data */

/* Noise a line may carry before a reply: stray starts and ends, an echo of
 * a wake-up byte. No frame can be made of it. */
static const uint8_t garbage[] = { 0x00, 0x68, 0x16, 0xFF, 0x68, 0x68, 0xE5 };

struct damage {
	int silent;
	int error_code;   /* an error reply instead of the data, 0 = none */
	int delay_ms;     /* before the reply */
	int byte_delay_ms;
	int garbage, bad_checksum, wrong_address;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int fault_applies(const struct sim_fault *f, const struct gfi_point *pt,
			 int64_t now)
{
	if (now < f->from_s || now >= f->to_s)
		return 0;
	if (f->npoints == 0)
		return 1;
	for (size_t i = 0; i < f->npoints; i++) {
		if (f->points[i] == pt)
			return 1;
	}
	return 0;
}

static void collect_faults(const struct sim_meter *m, const struct gfi_point *pt,
			   int64_t now, struct damage *d)
{
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < m->nfaults; i++) {
		const struct sim_fault *f = &m->faults[i];
		if (!fault_applies(f, pt, now))
			continue;
		switch (f->kind) {
		case SIM_FAULT_TIMEOUT: d->silent = 1; break;
		case SIM_FAULT_EXCEPTION:
			if (d->error_code == 0)
				d->error_code = f->code;
			break;
		case SIM_FAULT_SLOW:
			if (f->delay_ms > d->delay_ms)
				d->delay_ms = f->delay_ms;
			break;
		case SIM_FAULT_BYTE_SLOW:
			if (f->delay_ms > d->byte_delay_ms)
				d->byte_delay_ms = f->delay_ms;
			break;
		case SIM_FAULT_GARBAGE: d->garbage = 1; break;
		case SIM_FAULT_BAD_CHECKSUM: d->bad_checksum = 1; break;
		case SIM_FAULT_WRONG_ADDRESS: d->wrong_address = 1; break;
		case SIM_FAULT_TRUNCATED: break; /* RTU streams only */
		}
	}
}

static int write_all(int fd, const uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* Build the reply (control, data) as the damage says and send it. */
static void send_reply(int fd, const struct sim_meter *m, uint8_t control,
		       const uint8_t *data, size_t len, const struct damage *d)
{
	uint8_t addr[DLT645_ADDR_LEN], out[sizeof(garbage) + DLT645_FRAME_MAX];
	size_t off = d->garbage ? sizeof(garbage) : 0, n;

	memcpy(addr, m->address, sizeof(addr));
	if (d->wrong_address)
		addr[0] ^= 0x01;  /* still BCD: another meter's address */
	memcpy(out, garbage, off);
	n = dlt645_build(addr, control, data, len, out + off, sizeof(out) - off);
	if (n == 0)
		return;
	if (d->bad_checksum)
		out[off + n - 2] ^= 0x5A;
	n += off;
	if (d->delay_ms > 0)
		sleep_ms(d->delay_ms);
	if (d->byte_delay_ms <= 0) {
		(void)write_all(fd, out, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (write_all(fd, out + i, 1) != 0)
			return;
		sleep_ms(d->byte_delay_ms);
	}
}

static const struct sim_meter *find_meter(const struct sim_line *line,
					  const uint8_t *addr)
{
	for (size_t i = 0; i < line->nmeters; i++) {
		if (memcmp(line->meters[i].address, addr, DLT645_ADDR_LEN) == 0)
			return &line->meters[i];
	}
	return NULL;
}

static const struct gfi_point *find_point(const struct gfi_profile *p,
					  uint32_t di)
{
	for (size_t i = 0; i < p->npoints; i++) {
		if (p->points[i].di == di)
			return &p->points[i];
	}
	return NULL;
}

static int64_t now_s(void)
{
	struct timespec ts;

	/* Not time(): see request_time_s in server.c. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static void answer_read(int fd, const struct sim_meter *m,
			const struct dlt645_frame *f)
{
	uint8_t data[4 + 8];
	uint32_t di = (uint32_t)f->data[0] | (uint32_t)f->data[1] << 8 |
		      (uint32_t)f->data[2] << 16 | (uint32_t)f->data[3] << 24;
	const struct gfi_point *pt = find_point(m->profile, di);
	int64_t now = now_s();
	struct damage d;
	uint8_t err;

	collect_faults(m, pt, now, &d);
	if (d.silent)
		return;
	if (pt == NULL || d.error_code != 0) {
		err = pt == NULL ? ERR_NO_DATA : (uint8_t)d.error_code;
		send_reply(fd, m, DLT645_C_READ | DLT645_C_REPLY | DLT645_C_ERROR,
			   &err, 1, &d);
		return;
	}
	memcpy(data, f->data, 4);
	if (gfi_point_encode_bcd(pt, model_value(m, pt, now_s()), data + 4) !=
	    GFI_OK)
		memset(data + 4, 0xFF, pt->format.bytes);
	send_reply(fd, m, DLT645_C_READ | DLT645_C_REPLY, data,
		   4 + (size_t)pt->format.bytes, &d);
}

static void handle_frame(const struct sim_line *line, int fd,
			 const struct dlt645_frame *f)
{
	static const uint8_t broadcast[DLT645_ADDR_LEN] = {
		0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
	};
	const struct sim_meter *m;
	struct damage d;

	if (f->control == DLT645_C_READ_ADDR &&
	    memcmp(f->addr, broadcast, DLT645_ADDR_LEN) == 0) {
		if (line->nmeters != 1)
			return;
		m = &line->meters[0];
		collect_faults(m, NULL, now_s(), &d);
		if (!d.silent)
			send_reply(fd, m, DLT645_C_READ_ADDR | DLT645_C_REPLY,
				   m->address, DLT645_ADDR_LEN, &d);
		return;
	}
	if (f->control != DLT645_C_READ || f->len != 4)
		return;  /* replies of others, writes, what we do not serve */
	m = find_meter(line, f->addr);
	if (m == NULL) {
		log_debug("dlt645 request for unknown address: line=%s",
			  line->id);
		return;
	}
	answer_read(fd, m, f);
}

int serve645_input(const struct sim_line *line, int fd,
		   struct serve645_rx *rx)
{
	struct dlt645_frame f;
	size_t used;
	ssize_t r;

	if (rx->len == sizeof(rx->buf))
		rx->len = 0;  /* a buffer of noise: start over */
	r = read(fd, rx->buf + rx->len, sizeof(rx->buf) - rx->len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0)
		return -1;
	rx->len += (size_t)r;
	while (dlt645_scan(rx->buf, rx->len, &f, &used, NULL) ==
	       DLT645_SCAN_FRAME) {
		handle_frame(line, fd, &f);
		memmove(rx->buf, rx->buf + used, rx->len - used);
		rx->len -= used;
	}
	memmove(rx->buf, rx->buf + used, rx->len - used);
	rx->len -= used;
	return 0;
}

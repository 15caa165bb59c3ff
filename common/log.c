/*
 * log.c — stderr or syslog output for GFI_LOG.
 *
 * Every formatted message is escaped here, in one place: C0 control
 * characters and DEL become \xNN, so text from outside (a URL with %0A, a
 * topic, a field) can never start a forged line or steer a terminal. One
 * message is always one line.
 * The threshold is a plain int read without locking: it is set once at start
 * (or on SIGHUP reload) and a stale read only changes one message's fate.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"

int gfi_log_threshold = GFI_LOG_NOTICE;
static int use_syslog;

void gfi_log_set_level(int level)
{
	gfi_log_threshold = level;
}

int gfi_log_parse_level(const char *name, int *level)
{
	static const struct { const char *name; int level; } names[] = {
		{ "err", GFI_LOG_ERR },       { "warning", GFI_LOG_WARNING },
		{ "notice", GFI_LOG_NOTICE }, { "info", GFI_LOG_INFO },
		{ "debug", GFI_LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*level = names[i].level;
			return GFI_OK;
		}
	}
	return GFI_E_INVAL;
}

void gfi_log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	use_syslog = 1;
}

size_t gfi_log_escape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return 0;
	for (; *in != '\0'; in++) {
		unsigned char ch = (unsigned char)*in;
		int control = ch < 0x20 || ch == 0x7f;

		if (n + (control ? 4 : 1) >= size)
			break;
		if (control)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", ch);
		else
			out[n++] = (char)ch;
	}
	out[n] = '\0';
	return n;
}

void gfi_log_write(int level, const char *fmt, ...)
{
	char raw[1024], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	gfi_log_escape(raw, msg, sizeof(msg));
	if (use_syslog) {
		syslog(level, "%s", msg);
		return;
	}
	static const char *const tags[8] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* One fprintf per message so threads do not interleave within a line. */
	fprintf(stderr, "%s %s: %s\n", stamp, tags[level & 7], msg);
}

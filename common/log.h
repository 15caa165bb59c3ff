/*
 * log.h — one small logger for every gfi program.
 *
 * Levels map to syslog priorities. GFI_LOG checks the level before its
 * arguments are evaluated. Output goes to stderr in the foreground, or to
 * syslog (journald) after gfi_log_use_syslog(). Thread-safe: each message is
 * written with one call. Never log keys or payloads.
 */
#ifndef GFI_LOG_H
#define GFI_LOG_H

#include <stddef.h>
#include <syslog.h>

enum gfi_log_level {
	GFI_LOG_ERR = LOG_ERR,
	GFI_LOG_WARNING = LOG_WARNING,
	GFI_LOG_NOTICE = LOG_NOTICE,
	GFI_LOG_INFO = LOG_INFO,
	GFI_LOG_DEBUG = LOG_DEBUG,
};

extern int gfi_log_threshold;

/* Messages above this level (less severe) are dropped. Default: NOTICE. */
void gfi_log_set_level(int level);
/* Parse "err|warning|notice|info|debug"; returns 0 or GFI_E_INVAL. */
int gfi_log_parse_level(const char *name, int *level);
/* Send messages to syslog with this identity instead of stderr. */
void gfi_log_use_syslog(const char *ident);

/* Copy in to out (size bytes with the NUL) with every C0 control character
 * and DEL written as \xNN, cutting at a whole character; the length
 * written. gfi_log_write applies it to every message. */
size_t gfi_log_escape(const char *in, char *out, size_t size);

void gfi_log_write(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define GFI_LOG(level, ...)                                                    \
	do {                                                                   \
		if ((level) <= gfi_log_threshold)                              \
			gfi_log_write((level), __VA_ARGS__);                   \
	} while (0)

#define log_err(...) GFI_LOG(GFI_LOG_ERR, __VA_ARGS__)
#define log_warn(...) GFI_LOG(GFI_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) GFI_LOG(GFI_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) GFI_LOG(GFI_LOG_INFO, __VA_ARGS__)
#define log_debug(...) GFI_LOG(GFI_LOG_DEBUG, __VA_ARGS__)

#endif

/*
 * text.h — checks and scrubbing for text that came from outside.
 *
 * Names, notes, CSV cells, API bodies and echoed input are stored and shown
 * as UTF-8 on one line. Every place that takes or echoes such text uses
 * these, so "valid text" means the same thing in every command and route:
 * strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF)
 * and no control characters (C0 and DEL).
 */
#ifndef GFI_TEXT_H
#define GFI_TEXT_H

#include <stddef.h>

/* Whether s[0..n) is strict UTF-8 without control characters (a NUL
 * inside the n bytes is a control character). */
int text_valid_n(const char *s, size_t n);

/* The same for a NUL-terminated string. */
int text_valid(const char *s);

/* Replace every control character of s (in place) with '?', so a message
 * that echoes input stays one line. */
void text_scrub(char *s);

/* Copy at most max bytes of in into out (of size bytes), control
 * characters shown as '?', and "..." appended when in was longer: for
 * echoing hostile input in a one-line error. out is always terminated. */
void text_echo(const char *in, size_t max, char *out, size_t size);

#endif

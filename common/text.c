/*
 * text.c — strict UTF-8 checks and control-character scrubbing (text.h).
 *
 * One definition of "valid text" for all programs; see text.h. The UTF-8
 * check follows RFC 3629 section 4 (the well-formed byte sequences).
 */
#include "text.h"

#include <string.h>

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The length of the sequence led by c (0 for an invalid lead byte) and the
 * lead byte's payload bits in *cp. */
static unsigned lead(unsigned c, unsigned *cp)
{
	if (c >= 0xc2 && c <= 0xdf) {
		*cp = c & 0x1f;
		return 1;
	}
	if (c >= 0xe0 && c <= 0xef) {
		*cp = c & 0x0f;
		return 2;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		*cp = c & 0x07;
		return 3;
	}
	return 0;
}

int text_valid_n(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p++, cp = 0, need;
		if (c < 0x80) {
			if (is_control((unsigned char)c))
				return 0;
			continue;
		}
		need = lead(c, &cp);
		if (need == 0 || (size_t)(end - p) < need)
			return 0;
		for (unsigned i = 0; i < need; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
	}
	return 1;
}

int text_valid(const char *s)
{
	return text_valid_n(s, strlen(s));
}

void text_scrub(char *s)
{
	for (; *s != '\0'; s++) {
		if (is_control((unsigned char)*s))
			*s = '?';
	}
}

void text_echo(const char *in, size_t max, char *out, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)in;
	     *p != '\0' && n + 4 < size && n < max; p++)
		out[n++] = is_control(*p) ? '?' : (char)*p;
	if (strlen(in) > n && n + 4 <= size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

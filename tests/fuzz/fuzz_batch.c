/*
 * fuzz_batch.c — gfi_batch_parse on arbitrary bytes: the payload every
 * gateway (or anyone holding a stolen certificate) sends the aggregator.
 * A parsed batch is walked (so a wrong n or pointer shows under ASan) and
 * freed; the error line must always be a NUL-terminated string.
 */
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gfi_batch *b = NULL;
	char err[256];
	volatile double sink = 0;
	size_t i;

	memset(err, 'x', sizeof(err));
	if (gfi_batch_parse((const char *)data, size, &b, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap(); /* the reason must be a C string */
		if (fuzz_verbose())
			printf("%s\n", err);
		return 0;
	}
	for (i = 0; i < b->n; i++)
		sink += b->readings[i].value;
	sink += (double)b->json[b->json_len] + b->sig[b->sig_len - 1];
	if (fuzz_verbose())
		printf("ok: %zu readings\n", b->n);
	gfi_batch_free(b);
	(void)sink;
	return 0;
}

/*
 * reply.c — how the API answers (api-private.h): a JSON body with its
 * status, or a refusal {"error":"<field>: why"}.
 *
 * Invariants: c->resp always holds one body (the previous one is freed);
 * a refusal is one line, because it may echo what the client sent.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api-private.h"
#include "error.h"
#include "text.h"

void api_set_body(struct api_ctx *c, int status, const char *type, char *body,
		  size_t len)
{
	free(c->resp->body);
	c->resp->status = status;
	c->resp->content_type = type;
	c->resp->body = body;
	c->resp->len = len;
}

int api_reply_json(struct api_ctx *c, int status, cJSON *o)
{
	char *t = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (t == NULL) {
		api_set_body(c, 500, JSON_TYPE, NULL, 0);
		return GFI_E_NOMEM;
	}
	api_set_body(c, status, JSON_TYPE, t, strlen(t));
	return GFI_OK;
}

int api_fail(struct api_ctx *c, int status, const char *fmt, ...)
{
	char msg[384];
	cJSON *o = cJSON_CreateObject();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages echo what the client sent: keep the error one line. */
	text_scrub(msg);
	if (o != NULL)
		cJSON_AddStringToObject(o, "error", msg);
	api_reply_json(c, status, o);
	return -1;
}

int api_fail_store(struct api_ctx *c, int rc)
{
	if (rc == GFI_E_NOTFOUND)
		return api_fail(c, 404, "not found");
	/* Another writer (an import, another instance) holds the store past
	 * the busy timeout: 503, and http.c adds Retry-After. */
	if (rc == GFI_E_BUSY)
		return api_fail(c, 503, "store: busy, try again");
	return api_fail(c, 500, "store: %s", gfi_strerror(rc));
}

int api_reply_list(struct api_ctx *c, cJSON *o, int rc, int walk_rc)
{
	if (rc == GFI_OK)
		rc = walk_rc;
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return api_fail_store(c, rc);
	}
	return api_reply_json(c, 200, o);
}

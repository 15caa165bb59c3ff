/*
 * http.h — the aggregator's HTTP server (libmicrohttpd): the API of api.h
 * under /api/v1/, /metrics, and the dashboards' static files.
 *
 * libmicrohttpd runs its own threads (an internal polling thread pool of
 * HTTP_THREADS); each of them lazily opens its own store connection the
 * first time it answers a request and closes it when it exits, so no SQLite
 * connection is ever shared between threads (STYLE.md). One more thread,
 * conntrack's watchdog, closes connections whose request is overdue; it
 * touches sockets only, never the store. This is the aggregator's only
 * module that touches libmicrohttpd.
 */
#ifndef GFI_AGG_HTTP_H
#define GFI_AGG_HTTP_H

#include "aggconfig.h"

#define HTTP_THREADS 2

struct http;

/* Start serving cfg->http (which must be enabled) from store cfg->store.
 * cfg is borrowed and must outlive the server. Call with SIGINT and SIGTERM
 * blocked so the server's threads inherit the mask. GFI_OK, GFI_E_INVAL
 * (bind address), GFI_E_IO (cannot listen), GFI_E_NOMEM. */
int http_start(const struct agg_config *cfg, struct http **out);

/* Stop: finish the requests under way, join the threads (each closes its
 * store), free. Accepts NULL. */
void http_stop(struct http *h);

#endif

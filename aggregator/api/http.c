/*
 * http.c — the HTTP transport of the API (http.h): libmicrohttpd in, a
 * struct api_request to api.c, a struct api_response back out.
 *
 * Why separate from api.c: the transport (limits, bodies, headers, static
 * files, threads) is tested over real sockets; the rules over a store.
 * Invariants: a request body is never held beyond max_body_bytes (413); a
 * path or query beyond HTTP_URL_MAX is 414; at most max_connections
 * connections (libmicrohttpd refuses the rest); each MHD thread uses only
 * its own store connection, opened on first use and closed by the
 * thread-specific key's destructor when the thread exits at MHD_stop_daemon.
 * Static files are served only from static_dir, never through "..".
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "error.h"
#include "log.h"
#include "now.h"
#include "store.h"

#define HTTP_URL_MAX 2048          /* path plus decoded query, bytes */
#define HTTP_TIMEOUT_S 30

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct http {
	const struct agg_config *cfg;
	struct MHD_Daemon *d;
	pthread_key_t key;         /* this thread's struct store */
	int key_made;
};

/* One request in progress. */
struct conn {
	char *body;
	size_t len;
	int too_big;
	int started;
};

struct params {
	struct api_param v[API_PARAMS_MAX];
	size_t n;
	size_t bytes;
	int overflow;
};

static void close_store(void *p)
{
	store_close(p);
}

static struct store *thread_store(struct http *h)
{
	struct store *s = pthread_getspecific(h->key);

	if (s == NULL && store_open(h->cfg->store, &s) == GFI_OK &&
	    pthread_setspecific(h->key, s) != 0) {
		store_close(s);
		s = NULL;
	}
	return s;
}

static mhd_result collect(void *cls, enum MHD_ValueKind kind, const char *key,
			  const char *value)
{
	struct params *p = cls;

	(void)kind;
	p->bytes += strlen(key) + (value ? strlen(value) : 0) + 2;
	if (p->n == API_PARAMS_MAX) {
		p->overflow = 1;
		return MHD_YES;
	}
	p->v[p->n].key = key;
	p->v[p->n].value = value;
	p->n++;
	return MHD_YES;
}

static int is_loopback(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = i ? i->client_addr : NULL;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

static mhd_result send_body(struct MHD_Connection *con, unsigned status,
			    const char *type, char *body, size_t len,
			    const char *allow, const char *filename)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	char disp[128];
	mhd_result ret;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (allow != NULL && status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (filename != NULL && filename[0] != '\0') {
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	}
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static mhd_result send_error(struct MHD_Connection *con, unsigned status,
			     const char *msg)
{
	size_t n = strlen(msg) + 16;
	char *body = malloc(n);

	if (body == NULL)
		return MHD_NO;
	snprintf(body, n, "{\"error\":\"%s\"}", msg);
	return send_body(con, status, "application/json; charset=utf-8", body,
			 strlen(body), NULL, NULL);
}

static const char *mime_of(const char *path)
{
	static const char *const types[][2] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* A file under static_dir; "/" is index.html. 404 for anything else. */
static mhd_result send_static(struct http *h, struct MHD_Connection *con,
			      const char *url)
{
	char path[AGGCONFIG_PATH_MAX * 2];
	struct MHD_Response *r;
	struct stat st;
	mhd_result ret;
	int fd;

	if (url[0] != '/' || strstr(url, "..") != NULL || strstr(url, "//") != NULL)
		return send_error(con, 404, "path: not found");
	snprintf(path, sizeof(path), "%s%s%s", h->cfg->http.static_dir, url,
		 url[strlen(url) - 1] == '/' ? "index.html" : "");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_error(con, 404, "path: not found");
	}
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime_of(path));
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(con, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static mhd_result answer(struct http *h, struct MHD_Connection *con,
			 const char *url, const char *method, struct conn *c)
{
	struct api_request req;
	struct api_response resp;
	struct params p;
	struct store *s;

	memset(&p, 0, sizeof(p));
	MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, collect, &p);
	if (strlen(url) + p.bytes > HTTP_URL_MAX)
		return send_error(con, 414, "url: longer than 2048 bytes");
	if (p.overflow)
		return send_error(con, 400, "query: more than 16 parameters");
	if (h->cfg->http.static_dir[0] != '\0' && strncmp(url, "/api/", 5) != 0 &&
	    strcmp(url, "/metrics") != 0 && strcmp(method, "GET") == 0)
		return send_static(h, con, url);
	if ((s = thread_store(h)) == NULL)
		return send_error(con, 503, "store: unavailable");
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.params = p.v;
	req.nparams = p.n;
	req.authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_AUTHORIZATION);
	req.body = c->body;
	req.body_len = c->len;
	req.loopback = is_loopback(con);
	req.now_s = agg_now_s();
	if (api_handle(s, &req, &resp) != GFI_OK) {
		api_response_free(&resp);
		return send_error(con, 500, "out of memory");
	}
	log_info("http %s %s %d", method, url, resp.status);
	/* send_body owns the body from here. */
	return send_body(con, (unsigned)resp.status, resp.content_type, resp.body,
			 resp.len, resp.allow, resp.filename);
}

static mhd_result on_request(void *cls, struct MHD_Connection *con, const char *url,
			     const char *method, const char *version,
			     const char *upload, size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct conn *c = *con_cls;
	size_t max = (size_t)h->cfg->http.max_body_bytes;

	(void)version;
	if (c == NULL) {
		const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		char *end = NULL;
		unsigned long long n;

		if ((c = calloc(1, sizeof(*c))) == NULL)
			return MHD_NO;
		*con_cls = c;
		if (cl != NULL) {
			errno = 0;
			n = strtoull(cl, &end, 10);
			if (end != cl && *end == '\0' && errno == 0 && n > max) {
				/* Refuse before reading the body; MHD closes the
				 * connection after this answer. */
				c->too_big = 1;
				return send_error(con, 413, "body: larger than max_body_bytes");
			}
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!c->too_big && c->len + *upload_size <= max) {
			char *p = realloc(c->body, c->len + *upload_size);
			if (p == NULL)
				return MHD_NO;
			memcpy(p + c->len, upload, *upload_size);
			c->body = p;
			c->len += *upload_size;
		} else {
			c->too_big = 1;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (c->too_big)
		return send_error(con, 413, "body: larger than max_body_bytes");
	return answer(h, con, url, method, c);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (c != NULL) {
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("http: %s", msg);
}

int http_start(const struct agg_config *cfg, struct http **out)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	const struct sockaddr *sa;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct http *h;

	*out = NULL;
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, cfg->http.bind, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)cfg->http.port);
		sa = (const struct sockaddr *)(const void *)&a4;
	} else if (inet_pton(AF_INET6, cfg->http.bind, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)cfg->http.port);
		sa = (const struct sockaddr *)(const void *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		log_err("http start failed: bind=%s is not an IP address", cfg->http.bind);
		return GFI_E_INVAL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return GFI_E_NOMEM;
	h->cfg = cfg;
	if (pthread_key_create(&h->key, close_store) != 0) {
		free(h);
		return GFI_E_NOMEM;
	}
	h->key_made = 1;
	h->d = MHD_start_daemon(flags, (uint16_t)cfg->http.port, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)cfg->http.max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				MHD_OPTION_END);
	if (h->d == NULL) {
		log_err("http start failed: cannot listen on %s port %d", cfg->http.bind,
			cfg->http.port);
		http_stop(h);
		return GFI_E_IO;
	}
	log_notice("http listening: bind=%s port=%d", cfg->http.bind, cfg->http.port);
	*out = h;
	return GFI_OK;
}

void http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	if (h->key_made)
		pthread_key_delete(h->key);
	free(h);
}

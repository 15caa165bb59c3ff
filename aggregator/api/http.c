/*
 * http.c — the HTTP transport of the API (http.h): libmicrohttpd in, a
 * struct api_request to api.c, a struct api_response back out.
 *
 * Why separate from api.c: the transport (limits, bodies, headers, static
 * files, threads) is tested over real sockets; the rules over a store.
 * Invariants: a request body is never held beyond max_body_bytes (413); a
 * path or query beyond HTTP_URL_MAX is 414; at most max_connections
 * connections (conntrack.c keeps the limit, libmicrohttpd's own is set
 * above it); each MHD thread uses only
 * its own store connection, opened on first use and closed by the
 * thread-specific key's destructor when the thread exits at MHD_stop_daemon.
 * Static files are served only from static_dir, walked one component at a
 * time with O_NOFOLLOW: never through a symbolic link at any depth, never a
 * component starting with '.', HEAD like GET. Every request must arrive
 * whole within head_timeout_s of its connection's accept or previous
 * answer (conntrack.c; libmicrohttpd's own timeout is only for idleness);
 * a head whose body framing is ambiguous is 400; at most
 * max_connections_per_ip connections per client address; a client address
 * whose tokens failed too often is answered 429 (throttle.c). Every answer
 * carries the security headers (add_security_headers).
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "conntrack.h"
#include "error.h"
#include "log.h"
#include "now.h"
#include "store.h"
#include "throttle.h"

#define HTTP_URL_MAX 2048          /* path plus decoded query, bytes */
#define HTTP_TIMEOUT_S 30          /* idle: no byte for this long */
#define HTTP_THROTTLE_SLOTS 4096   /* client addresses tracked */

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct http {
	const struct agg_config *cfg;
	struct MHD_Daemon *d;
	struct conntrack *ct;      /* request deadlines, eviction */
	struct throttle *th;       /* failed tokens per address */
	pthread_key_t key;         /* this thread's struct store */
	int key_made;
};

/* One request in progress. */
struct conn {
	char *body;
	size_t len;
	int too_big;               /* the body outgrew max_body_bytes: 413 */
	int refused;               /* already answered at the head */
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

/* The client's address as text into buf; whether it is loopback
 * (127.0.0.0/8 or ::1). */
static int client_address(struct MHD_Connection *con, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = i ? i->client_addr : NULL;

	snprintf(buf, size, "%s", "?");
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)size);
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)size);
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

/* This connection's entry in the deadline table, or NULL. */
static struct conn_entry *socket_entry(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i != NULL ? i->socket_context : NULL;
}

/* Every answer, page or API, carries these (docs/security.md, "HTTP"). The
 * dashboards load scripts only from files ('self'); ECharts writes inline
 * style attributes in its tooltips, hence style-src 'unsafe-inline'. */
static void add_security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; "
				"style-src 'self' 'unsafe-inline'; object-src 'none'; "
				"base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

/* Queue r (which the caller still destroys); the request is then complete
 * as far as the head deadline goes. */
static mhd_result queue(struct http *h, struct MHD_Connection *con,
			unsigned status, struct MHD_Response *r)
{
	struct conn_entry *e = socket_entry(con);

	if (e != NULL)
		conntrack_request_in(h->ct, e);
	add_security_headers(r);
	return MHD_queue_response(con, status, r);
}

/* An answer to send: body is owned and freed by send_reply. */
struct reply {
	unsigned status;
	const char *type;
	char *body;
	size_t len;
	const char *allow;         /* 405: the Allow header */
	const char *filename;      /* non-empty: a download */
	int retry_after_s;         /* > 0: the Retry-After header */
};

static mhd_result send_reply(struct http *h, struct MHD_Connection *con,
			     const struct reply *rp)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(rp->len, rp->body, MHD_RESPMEM_MUST_FREE);
	char buf[128];
	mhd_result ret;

	if (r == NULL) {
		free(rp->body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (rp->allow != NULL && rp->status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rp->allow);
	if (rp->status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (rp->retry_after_s > 0) {
		snprintf(buf, sizeof(buf), "%d", rp->retry_after_s);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, buf);
	}
	if (rp->filename != NULL && rp->filename[0] != '\0') {
		snprintf(buf, sizeof(buf), "attachment; filename=\"%s\"", rp->filename);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, buf);
	}
	ret = queue(h, con, rp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static mhd_result send_error_retry(struct http *h, struct MHD_Connection *con,
				   unsigned status, const char *msg, int retry_after_s)
{
	size_t n = strlen(msg) + 16;
	struct reply rp = { .status = status, .type = "application/json; charset=utf-8",
			    .retry_after_s = retry_after_s };

	if ((rp.body = malloc(n)) == NULL)
		return MHD_NO;
	snprintf(rp.body, n, "{\"error\":\"%s\"}", msg);
	rp.len = strlen(rp.body);
	return send_reply(h, con, &rp);
}

static mhd_result send_error(struct http *h, struct MHD_Connection *con,
			     unsigned status, const char *msg)
{
	return send_error_retry(h, con, status, msg, 0);
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

/* Open url below dir one component at a time, each with O_NOFOLLOW, so no
 * symbolic link is followed at any depth; a component that is empty or
 * starts with '.' (dotfiles, "..") is refused. A path ending in '/' means
 * its index.html. The open regular file's fd (st filled, *name its last
 * component inside rel), or -1. */
static int open_static(const char *dir, const char *url, char *rel, size_t size,
		       const char **name, struct stat *st)
{
	size_t n = strlen(url);
	int dfd, fd = -1;
	char *comp, *slash;

	if (url[0] != '/' ||
	    (size_t)snprintf(rel, size, "%s%s", url + 1,
			     url[n - 1] == '/' ? "index.html" : "") >= size)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	for (comp = rel; dfd >= 0; comp = slash + 1) {
		int next;

		slash = strchr(comp, '/');
		if (slash != NULL)
			*slash = '\0';
		if (comp[0] == '\0' || comp[0] == '.')
			break;
		/* O_NONBLOCK: a FIFO left in static_dir must not hang a thread. */
		next = openat(dfd, comp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
			      (slash != NULL ? O_DIRECTORY : O_NONBLOCK));
		close(dfd);
		dfd = next;
		if (slash == NULL) {
			fd = next;
			dfd = -1;
			*name = comp;
		}
	}
	if (dfd >= 0)
		close(dfd);
	if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A file under static_dir for GET or HEAD (libmicrohttpd sends HEAD the
 * same status and headers without the body); 404 for anything else. */
static mhd_result send_static(struct http *h, struct MHD_Connection *con,
			      const char *url)
{
	char rel[HTTP_URL_MAX + 16];
	const char *name = "";
	struct MHD_Response *r;
	struct stat st;
	mhd_result ret;
	int fd = open_static(h->cfg->http.static_dir, url, rel, sizeof(rel), &name, &st);

	if (fd < 0)
		return send_error(h, con, 404, "path: not found");
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime_of(name));
	ret = queue(h, con, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* 429 before the token is even looked at when this address has failed
 * too often; after the answer, a 401 to a request that carried a token
 * is counted against the address and logged with it. */
static int throttled(struct http *h, const struct api_request *req,
		     const char *client)
{
	return req->authorization == NULL ? 0 :
		throttle_wait_s(h->th, client, conntrack_now_ms());
}

static void count_auth_failure(struct http *h, const struct api_request *req,
			       const char *client, int status)
{
	if (status != 401 || req->authorization == NULL)
		return;
	throttle_fail(h->th, client, conntrack_now_ms());
	log_notice("http authentication failed: client=%s %s %s", client,
		   req->method, req->path);
}

static mhd_result answer(struct http *h, struct MHD_Connection *con,
			 const char *url, const char *method, struct conn *c)
{
	struct api_request req;
	struct api_response resp;
	struct params p;
	struct store *s;
	char client[INET6_ADDRSTRLEN];
	int wait_s;

	memset(&p, 0, sizeof(p));
	MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, collect, &p);
	if (strlen(url) + p.bytes > HTTP_URL_MAX)
		return send_error(h, con, 414, "url: longer than 2048 bytes");
	if (p.overflow)
		return send_error(h, con, 400, "query: more than 16 parameters");
	if (h->cfg->http.static_dir[0] != '\0' && strncmp(url, "/api/", 5) != 0 &&
	    strcmp(url, "/metrics") != 0 &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
		return send_static(h, con, url);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.params = p.v;
	req.nparams = p.n;
	req.authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_AUTHORIZATION);
	req.body = c->body;
	req.body_len = c->len;
	req.loopback = client_address(con, client, sizeof(client));
	req.now_s = agg_now_s();
	if ((wait_s = throttled(h, &req, client)) > 0) {
		log_info("http %s %s 429 client=%s", method, url, client);
		return send_error_retry(h, con, 429,
					"authorization: too many failed tokens from "
					"this address", wait_s);
	}
	if ((s = thread_store(h)) == NULL)
		return send_error(h, con, 503, "store: unavailable");
	if (api_handle(s, &req, &resp) != GFI_OK) {
		api_response_free(&resp);
		return send_error(h, con, 500, "out of memory");
	}
	log_info("http %s %s %d client=%s", method, url, resp.status, client);
	count_auth_failure(h, &req, client, resp.status);
	/* send_reply owns the body from here. */
	return send_reply(h, con, &(struct reply){ .status = (unsigned)resp.status,
		.type = resp.content_type, .body = resp.body, .len = resp.len,
		.allow = resp.allow, .filename = resp.filename,
		.retry_after_s = resp.status == 503 ? 1 : 0 });
}

/* What the head says about the body's framing (RFC 9112 section 6). */
struct framing {
	int lengths;               /* Content-Length fields */
	int lengths_differ;
	int length_bad;            /* not only digits */
	int chunked;               /* a Transfer-Encoding field */
	const char *first;
};

static mhd_result note_framing(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct framing *f = cls;

	(void)kind;
	value = value ? value : "";
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->chunked = 1;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
		return MHD_YES;
	if (f->lengths++ > 0 && strcmp(value, f->first) != 0)
		f->lengths_differ = 1;
	f->first = value;
	if (value[0] == '\0' || strspn(value, "0123456789") != strlen(value))
		f->length_bad = 1;
	return MHD_YES;
}

/* A 400 for a head whose body framing is ambiguous (Content-Length with
 * Transfer-Encoding, or Content-Lengths that disagree): a proxy in front
 * could read the body differently (request smuggling). NULL when clear. */
static const char *framing_error(struct MHD_Connection *con)
{
	struct framing f;

	memset(&f, 0, sizeof(f));
	MHD_get_connection_values(con, MHD_HEADER_KIND, note_framing, &f);
	if (f.chunked && f.lengths > 0)
		return "content-length: sent together with transfer-encoding";
	if (f.lengths_differ)
		return "content-length: two different values";
	if (f.length_bad)
		return "content-length: not a decimal number";
	return NULL;
}

/* The first call for a request: its head is in. Refuse what must not be
 * read on (ambiguous framing, a body over max_body_bytes). */
static mhd_result begin(struct http *h, struct MHD_Connection *con, void **con_cls)
{
	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *bad = framing_error(con);
	struct conn *c = calloc(1, sizeof(*c));
	char *end = NULL;
	unsigned long long n;

	if (c == NULL)
		return MHD_NO;
	*con_cls = c;
	if (bad != NULL) {
		/* Answered before the body; libmicrohttpd then closes. */
		c->refused = 1;
		return send_error(h, con, 400, bad);
	}
	if (cl == NULL && MHD_lookup_connection_value(con, MHD_HEADER_KIND,
			MHD_HTTP_HEADER_TRANSFER_ENCODING) == NULL) {
		/* No body to wait for: the request is all in. */
		struct conn_entry *e = socket_entry(con);

		if (e != NULL)
			conntrack_request_in(h->ct, e);
		return MHD_YES;
	}
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (end != cl && *end == '\0' && errno == 0 &&
		    n > (unsigned long long)h->cfg->http.max_body_bytes) {
			c->refused = 1;
			return send_error(h, con, 413, "body: larger than max_body_bytes");
		}
	}
	return MHD_YES;
}

static mhd_result on_request(void *cls, struct MHD_Connection *con, const char *url,
			     const char *method, const char *version,
			     const char *upload, size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct conn *c = *con_cls;
	size_t max = (size_t)h->cfg->http.max_body_bytes;

	(void)version;
	if (c == NULL)
		return begin(h, con, con_cls);
	if (*upload_size != 0) {
		if (!c->refused && c->len + *upload_size <= max) {
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
	if (c->refused)
		return MHD_YES;
	if (c->too_big)
		return send_error(h, con, 413, "body: larger than max_body_bytes");
	/* The body is all in: the deadline is for the client, not for the
	 * handler (a store busy for its whole busy timeout still answers 503). */
	{
		struct conn_entry *e = socket_entry(con);

		if (e != NULL)
			conntrack_request_in(h->ct, e);
	}
	return answer(h, con, url, method, c);
}

/* A request ended: the next one on this connection has its own deadline. */
static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct conn *c = *con_cls;
	struct conn_entry *e = socket_entry(con);

	(void)toe;
	if (e != NULL)
		conntrack_answered(h->ct, e, conntrack_now_ms());
	if (c != NULL) {
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

/* Connections opened and closed: their entries in the deadline table.
 * CLOSED comes before libmicrohttpd closes the socket. */
static void on_connection(void *cls, struct MHD_Connection *con, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *fd;
	char client[INET6_ADDRSTRLEN];

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (*socket_ctx != NULL)
			conntrack_close(h->ct, *socket_ctx);
		*socket_ctx = NULL;
		return;
	}
	fd = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	client_address(con, client, sizeof(client));
	*socket_ctx = fd == NULL ? NULL :
		conntrack_open(h->ct, fd->connect_fd, client, conntrack_now_ms());
}

/* libmicrohttpd's messages. Those any client can cause at will (hanging
 * up mid-request, as every connection closed at its deadline does; the
 * per-address limit) are info, so a flood of slow clients does not flood
 * the log at warning; the rest (cannot listen, out of memory) warnings. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static const char *const client_caused[] = {
		"Connection was closed by remote side",
		"Server reached connection limit",
	};
	char msg[256];
	int level = GFI_LOG_WARNING;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	for (size_t i = 0; i < sizeof(client_caused) / sizeof(client_caused[0]); i++)
		if (strncmp(msg, client_caused[i], strlen(client_caused[i])) == 0)
			level = GFI_LOG_INFO;
	GFI_LOG(level, "http: %s", msg);
}

/* The listening address of cfg into a4 or a6 (IPv6 adds to *flags). */
static const struct sockaddr *listen_address(const struct agg_config *cfg,
					     struct sockaddr_in *a4,
					     struct sockaddr_in6 *a6,
					     unsigned int *flags)
{
	memset(a4, 0, sizeof(*a4));
	memset(a6, 0, sizeof(*a6));
	if (inet_pton(AF_INET, cfg->http.bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)cfg->http.port);
		return (const struct sockaddr *)(const void *)a4;
	}
	if (inet_pton(AF_INET6, cfg->http.bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)cfg->http.port);
		*flags |= MHD_USE_IPv6;
		return (const struct sockaddr *)(const void *)a6;
	}
	return NULL;
}

/* The daemon on sa, its callbacks on h. */
static struct MHD_Daemon *start_daemon(struct http *h, unsigned int flags,
				       const struct sockaddr *sa)
{
	const struct agg_http *c = &h->cfg->http;

	/* The logger first, so that no option's message goes to stderr. */
	return MHD_start_daemon(flags, (uint16_t)c->port, NULL, NULL, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
				/* Each pool thread gets limit / threads: room for
				 * all of ours in every thread and as many shut
				 * down but not yet closed; conntrack keeps ours. */
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)c->max_connections * 2 * HTTP_THREADS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned int)c->max_connections_per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_END);
}

int http_start(const struct agg_config *cfg, struct http **out)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	const struct sockaddr *sa;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct http *h;

	*out = NULL;
	if ((sa = listen_address(cfg, &a4, &a6, &flags)) == NULL) {
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
	if (conntrack_new(cfg->http.max_connections,
			  (int64_t)cfg->http.head_timeout_s * 1000, &h->ct) != GFI_OK ||
	    throttle_new(cfg->http.auth_failures_per_min, HTTP_THROTTLE_SLOTS,
			 &h->th) != GFI_OK ||
	    conntrack_start(h->ct) != GFI_OK) {
		http_stop(h);
		return GFI_E_NOMEM;
	}
	if ((h->d = start_daemon(h, flags, sa)) == NULL) {
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
	/* The daemon first: its CLOSED notifications still use the table. */
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	conntrack_free(h->ct);
	throttle_free(h->th);
	if (h->key_made)
		pthread_key_delete(h->key);
	free(h);
}

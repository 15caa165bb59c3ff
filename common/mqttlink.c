/*
 * mqttlink.c — the one mutual-TLS MQTT link of gfi-agent and gfi-aggregator.
 *
 * Paho calls back on its own threads; the callbacks here only record the
 * new state (under the caller's mutex), log why a link failed and wake the
 * caller's loop. The loop thread does everything else: it consumes events
 * in mqttlink_step, schedules reconnects and starts connects (STYLE.md,
 * "Ownership and threads"). Message and delivery callbacks are passed on
 * to the caller untouched.
 *
 * Invariants:
 *  - TLS always pins the configured CA alone (no default trust store) and
 *    checks the broker's host name (verify = 1; enableServerCertAuth alone
 *    checks the chain, not the name: TOOLCHAIN.md);
 *  - Paho's own automatic reconnect is off: every reconnect waits for the
 *    backoff with jitter, so a city's gateways do not all come back in the
 *    same second after a broker restart;
 *  - the backoff restarts from backoff_min_ms once a session is up;
 *  - the jitter is drawn from getrandom(2) (or the options' source), so two
 *    gateways started at the same moment draw different delays.
 */
#include "mqttlink.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

#define CONNECT_TIMEOUT_S 10
#define DISCONNECT_TIMEOUT_MS 2000

struct mqttlink {
	struct mqttlink_options o;    /* strings, mu, cv borrowed */
	MQTTAsync client;             /* owned */
	char uri[96];

	/* Written by Paho's callbacks, under *o.mu. */
	enum mqttlink_state state;
	int64_t since_ms;             /* CLOCK_MONOTONIC ms of the last change */
	int event;                    /* a change since the last step */

	/* The caller's loop thread only. */
	int up;                       /* what the last step saw */
	int attempt;                  /* reconnects since the last session */
	int64_t next_connect_ms;      /* no connect before this */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Paho callbacks: record and wake, nothing else ---- */

static void set_state(struct mqttlink *l, enum mqttlink_state state)
{
	pthread_mutex_lock(l->o.mu);
	l->state = state;
	l->since_ms = mono_ms();
	l->event = 1;
	pthread_cond_broadcast(l->o.cv);
	pthread_mutex_unlock(l->o.mu);
}

static void on_connect(void *ctx, MQTTAsync_successData *resp)
{
	(void)resp;
	set_state(ctx, MQTTLINK_CONNECTED);
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
	struct mqttlink *l = ctx;
	log_warn("broker connect failed: uri=%s: %s (%d)", l->uri,
		 resp && resp->message ? resp->message : "no reason given",
		 resp ? resp->code : 0);
	set_state(l, MQTTLINK_DOWN);
}

static void on_connection_lost(void *ctx, char *cause)
{
	struct mqttlink *l = ctx;
	log_warn("broker connection lost: uri=%s: %s", l->uri,
		 cause ? cause : "no reason given");
	set_state(l, MQTTLINK_DOWN);
}

static void on_disconnected(void *ctx, MQTTAsync_successData *resp)
{
	(void)resp;
	set_state(ctx, MQTTLINK_DOWN);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
	struct mqttlink *l = ctx;
	return l->o.on_message(l->o.ctx, topic, topic_len, m);
}

static void on_delivered(void *ctx, MQTTAsync_token token)
{
	struct mqttlink *l = ctx;
	if (l->o.on_delivered != NULL)
		l->o.on_delivered(l->o.ctx, token);
}

/* ---- the loop's side ---- */

static void start_connect(struct mqttlink *l)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_SSLOptions so = MQTTAsync_SSLOptions_initializer;
	MQTTAsync_willOptions wo = MQTTAsync_willOptions_initializer;
	int rc;

	so.trustStore = l->o.ca_file;        /* the city CA, and only it */
	so.keyStore = l->o.cert_file;
	so.privateKey = l->o.key_file;
	so.enableServerCertAuth = 1;
	so.verify = 1;                       /* the broker's name is checked */
	so.disableDefaultTrustStore = 1;
	/* MQTT_SSL_VERSION_DEFAULT negotiates the highest version both sides
	 * have; Debian's OpenSSL refuses below TLS 1.2 and the broker's
	 * tls_version sets 1.2 as its floor, so 1.3 is used where possible. */
	so.sslVersion = MQTT_SSL_VERSION_DEFAULT;
	if (l->o.will_topic != NULL) {
		wo.topicName = l->o.will_topic;
		wo.message = l->o.will_payload;
		wo.retained = 1;
		wo.qos = 1;
		co.will = &wo;
	}
	co.keepAliveInterval = l->o.keepalive_s;
	co.cleansession = l->o.cleansession;
	if (l->o.max_inflight > 0)
		co.maxInflight = l->o.max_inflight;
	co.connectTimeout = CONNECT_TIMEOUT_S;
	co.automaticReconnect = 0;           /* ours has jitter */
	co.ssl = &so;
	co.onSuccess = on_connect;
	co.onFailure = on_connect_failure;
	co.context = l;
	pthread_mutex_lock(l->o.mu);
	l->state = MQTTLINK_CONNECTING;
	l->since_ms = mono_ms();
	pthread_mutex_unlock(l->o.mu);
	rc = MQTTAsync_connect(l->client, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warn("broker connect failed: uri=%s: %s", l->uri,
			 MQTTAsync_strerror(rc));
		set_state(l, MQTTLINK_DOWN);
	}
}

uint32_t mqttlink_random_os(void *ctx)
{
	static atomic_uint fallback_count;
	uint32_t word = 0;
	struct timespec ts;
	ssize_t n;

	(void)ctx;
	do {
		n = getrandom(&word, sizeof(word), GRND_NONBLOCK);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(word))
		return word;
	/* No entropy yet (early boot) or no getrandom: still differ between
	 * gateways, by their clocks and pids (murmur3's 32-bit finaliser). */
	clock_gettime(CLOCK_REALTIME, &ts);
	word = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16) ^
	       (uint32_t)atomic_fetch_add(&fallback_count, 0x9e3779b9u);
	word = (word ^ (word >> 16)) * 0x85ebca6bu;
	word = (word ^ (word >> 13)) * 0xc2b2ae35u;
	return word ^ (word >> 16);
}

int mqttlink_backoff_ms(int attempt, int min_ms, int max_ms,
			const struct mqttlink_random *src)
{
	int64_t base = min_ms;
	uint32_t word;
	int half;

	for (int i = 0; i < attempt && base < max_ms; i++)
		base *= 2;
	if (base > max_ms && attempt > 0)
		base = max_ms;
	half = (int)(base / 2);
	word = src != NULL && src->draw != NULL ? src->draw(src->ctx)
						: mqttlink_random_os(NULL);
	return half + (int)(word % (uint32_t)(half + 1));
}

int mqttlink_next_delay_ms(struct mqttlink *l)
{
	int delay = mqttlink_backoff_ms(l->attempt, l->o.backoff_min_ms,
					l->o.backoff_max_ms, &l->o.random);
	if (l->attempt < 64)
		l->attempt++;
	return delay;
}

/* Capped exponential backoff with jitter, so that a city's gateways do not
 * all reconnect in the same second after a broker restart. */
static void schedule_reconnect(struct mqttlink *l, int64_t now)
{
	int delay = mqttlink_next_delay_ms(l);

	l->next_connect_ms = now + delay;
	log_info("broker reconnect scheduled: uri=%s attempt=%d delay_ms=%d", l->uri,
		 l->attempt, delay);
}

void mqttlink_step(struct mqttlink *l, int64_t now_ms, struct mqttlink_view *v)
{
	int event;

	pthread_mutex_lock(l->o.mu);
	v->state = l->state;
	v->since_ms = l->since_ms;
	event = l->event;
	l->event = 0;
	pthread_mutex_unlock(l->o.mu);
	v->came_up = event && v->state == MQTTLINK_CONNECTED && !l->up;
	v->connect_started = 0;
	if (v->came_up)
		l->attempt = 0;
	if (event && v->state == MQTTLINK_DOWN)
		schedule_reconnect(l, now_ms);
	l->up = v->state == MQTTLINK_CONNECTED;
	if (v->state == MQTTLINK_DOWN && now_ms >= l->next_connect_ms) {
		start_connect(l);
		v->connect_started = 1;
	}
}

int mqttlink_event_pending(const struct mqttlink *l)
{
	return l->event;
}

MQTTAsync mqttlink_client(const struct mqttlink *l)
{
	return l->client;
}

const char *mqttlink_uri(const struct mqttlink *l)
{
	return l->uri;
}

int mqttlink_is_connected(const struct mqttlink *l)
{
	return l->client != NULL && MQTTAsync_isConnected(l->client);
}

void mqttlink_disconnect(struct mqttlink *l)
{
	MQTTAsync_disconnectOptions dopt = MQTTAsync_disconnectOptions_initializer;

	if (!mqttlink_is_connected(l))
		return;
	dopt.timeout = DISCONNECT_TIMEOUT_MS;
	dopt.onSuccess = on_disconnected;
	dopt.context = l;
	MQTTAsync_disconnect(l->client, &dopt);
	for (int i = 0; i < 40 && MQTTAsync_isConnected(l->client); i++) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* ---- lifecycle ---- */

void mqttlink_destroy(struct mqttlink *l)
{
	if (l == NULL)
		return;
	if (l->client != NULL)
		MQTTAsync_destroy(&l->client);
	free(l);
}
int mqttlink_create(const struct mqttlink_options *o, struct mqttlink **out)
{
	MQTTAsync_createOptions cr = MQTTAsync_createOptions_initializer;
	struct mqttlink *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	if (l == NULL)
		return GFI_E_NOMEM;
	l->o = *o;
	l->since_ms = mono_ms();      /* down since its creation */
	snprintf(l->uri, sizeof(l->uri), "ssl://%s:%d", o->host, o->port);
	cr.MQTTVersion = MQTTVERSION_3_1_1;
	cr.sendWhileDisconnected = 0;
	if (o->max_buffered > 0)
		cr.maxBufferedMessages = o->max_buffered;
	rc = MQTTAsync_createWithOptions(&l->client, l->uri, o->client_id,
					 MQTTCLIENT_PERSISTENCE_NONE, NULL, &cr);
	if (rc != MQTTASYNC_SUCCESS) {
		log_err("mqtt client create failed: uri=%s: %s", l->uri,
			MQTTAsync_strerror(rc));
		free(l);
		return GFI_E_INVAL;
	}
	rc = MQTTAsync_setCallbacks(l->client, l, on_connection_lost, on_message,
				    on_delivered);
	if (rc != MQTTASYNC_SUCCESS) {
		mqttlink_destroy(l);
		return GFI_E_INVAL;
	}
	*out = l;
	return GFI_OK;
}


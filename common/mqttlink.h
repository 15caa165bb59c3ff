/*
 * mqttlink.h — one mutual-TLS MQTT link: client, TLS, will, reconnect, state.
 *
 * Both programs talk to the broker through this module: gfi-agent's uplink
 * and gfi-aggregator's ingest. It creates the Paho async client, sets the
 * TLS options (the city CA pinned, the client's certificate and key, the
 * broker's name checked), the will, the connect, connection-lost and
 * disconnect callbacks, and reconnects on a capped exponential backoff with
 * jitter. It is the only module that touches Paho's TLS options. What is
 * published, subscribed and acknowledged stays with the caller, which uses
 * mqttlink_client() for that.
 *
 * Threads: the link's state is written by Paho's callbacks under the
 * caller's mutex (options.mu) and every change broadcasts the caller's
 * condition (options.cv), so the caller's loop waits on one condition for
 * its own work and for link events. mqttlink_step and the other calls run on
 * the caller's loop thread, without that mutex held.
 */
#ifndef GFI_MQTTLINK_H
#define GFI_MQTTLINK_H

#include <pthread.h>
#include <stdint.h>

#include <MQTTAsync.h>

enum mqttlink_state {
	MQTTLINK_DOWN = 0,       /* no session, none under way */
	MQTTLINK_CONNECTING,     /* a connect is under way */
	MQTTLINK_CONNECTED,      /* the session is up */
};

/* A source of random 32-bit words for the reconnect jitter: draw(ctx).
 * The zero value means the operating system's (mqttlink_random_os). */
struct mqttlink_random {
	uint32_t (*draw)(void *ctx);
	void *ctx;
};

struct mqttlink_options {
	const char *host;            /* broker; the URI is ssl://host:port */
	int port;
	const char *client_id;       /* MQTT client id (certificate CN) */
	const char *ca_file;         /* the city CA, and only it */
	const char *cert_file;       /* this client's certificate (PEM) */
	const char *key_file;        /* its private key (PEM) */
	int keepalive_s;
	int cleansession;            /* 0: the broker keeps our session */
	int max_inflight;            /* Paho's maxInflight; 0 = Paho's default */
	int max_buffered;            /* Paho's maxBufferedMessages; 0 = default */
	const char *will_topic;      /* NULL: no will */
	const char *will_payload;    /* retained, QoS 1 */
	int backoff_min_ms;          /* first reconnect delay before jitter */
	int backoff_max_ms;          /* cap of the doubling, >= backoff_min_ms */
	struct mqttlink_random random;  /* jitter source; zero = the OS's */
	pthread_mutex_t *mu;         /* the caller's; guards the link state */
	pthread_cond_t *cv;          /* the caller's; broadcast on link events */
	void *ctx;                   /* passed to on_message and on_delivered */
	MQTTAsync_messageArrived *on_message;        /* required */
	MQTTAsync_deliveryComplete *on_delivered;    /* may be NULL */
};

/* What one mqttlink_step saw and did. */
struct mqttlink_view {
	enum mqttlink_state state;
	int64_t since_ms;        /* CLOCK_MONOTONIC ms of the last state change */
	int came_up;             /* connected since the last step: subscribe now */
	int connect_started;     /* this step started a connect */
};

struct mqttlink;

/* A random word from getrandom(2), which differs between processes and
 * machines (rand() without a seed is one sequence on every gateway, so a
 * fleet reconnected in step). Should getrandom fail, a mix of the clock's
 * nanoseconds, the pid and a counter. ctx is unused. */
uint32_t mqttlink_random_os(void *ctx);

/* The delay before reconnect attempt `attempt` (0 = the first after a
 * loss): base = min(min_ms * 2^attempt, max_ms), the delay is drawn from
 * base/2 .. base/2 + base/2 with src (NULL = mqttlink_random_os). */
int mqttlink_backoff_ms(int attempt, int min_ms, int max_ms,
			const struct mqttlink_random *src);

/* Create the client and set its callbacks; nothing connects until the
 * first mqttlink_step. The options' strings, mutex and condition are
 * borrowed and must outlive the link. GFI_E_INVAL (client refused: logged
 * with the URI), GFI_E_NOMEM. */
int mqttlink_create(const struct mqttlink_options *o, struct mqttlink **out);

/* Destroy the client (no callback runs after this returns) and free.
 * Accepts NULL. */
void mqttlink_destroy(struct mqttlink *l);

/* Drive the link at now_ms (CLOCK_MONOTONIC): consume the last event,
 * schedule a reconnect when the link went down, start a connect when one
 * is due. *v tells the caller what it must act on. */
void mqttlink_step(struct mqttlink *l, int64_t now_ms, struct mqttlink_view *v);

/* The delay before this link's next reconnect, drawn from its schedule
 * (its options' backoff and random source), which it advances. The link
 * calls it itself when it goes down; tests call it to read the schedule. */
int mqttlink_next_delay_ms(struct mqttlink *l);

/* A link event not yet consumed by mqttlink_step. Call with options.mu
 * held: it is the caller's wait predicate. */
int mqttlink_event_pending(const struct mqttlink *l);

/* The Paho client, for the caller's publish and subscribe calls. */
MQTTAsync mqttlink_client(const struct mqttlink *l);

/* "ssl://host:port", for log lines. */
const char *mqttlink_uri(const struct mqttlink *l);

/* Whether Paho holds a session now (any thread). */
int mqttlink_is_connected(const struct mqttlink *l);

/* Disconnect cleanly (no will) if connected, waiting up to about 2 s. */
void mqttlink_disconnect(struct mqttlink *l);

#endif

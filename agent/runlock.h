/*
 * runlock.h — the running service's claim on its lines.
 *
 * `gfi-agent run` holds an exclusive flock on <data_dir>/agent.lock (with
 * its pid inside) for as long as it runs; the kernel drops it when the
 * process ends, however it ends. Commands that talk to the meters on their
 * own (probe) check it first: two masters on one RS-485 line garble each
 * other's frames.
 */
#ifndef GFI_AGENT_RUNLOCK_H
#define GFI_AGENT_RUNLOCK_H

/* Take the lock for this process (the fd stays open until exit; data_dir
 * is created if missing). GFI_OK; GFI_E_STATE when another process holds
 * it (logged: the agent polls on, as it always did); GFI_E_IO. */
int runlock_take(const char *data_dir);

/* 1 when a running service holds the lock (*pid its pid, 0 if unknown),
 * 0 when not. */
int runlock_held(const char *data_dir, long *pid);

#endif

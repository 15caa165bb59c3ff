/*
 * runlock.c — <data_dir>/agent.lock, flock based (see runlock.h).
 *
 * flock rather than a pid file alone: a lock dies with its process, so a
 * service killed with SIGKILL never leaves a stale claim behind. The pid
 * written inside is only for the message.
 */
#include "runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

static int open_lock(const char *data_dir, int flags)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/agent.lock", data_dir);
	return open(path, flags | O_CLOEXEC, 0640);
}

int runlock_take(const char *data_dir)
{
	char pid[32];
	int fd, n;

	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
		return GFI_E_IO;
	fd = open_lock(data_dir, O_RDWR | O_CREAT);
	if (fd < 0)
		return GFI_E_IO;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		log_warn("another process holds %s/agent.lock: two agents on one "
			 "data_dir", data_dir);
		close(fd);
		return GFI_E_STATE;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n)
		log_warn("cannot write the pid to %s/agent.lock", data_dir);
	return GFI_OK;  /* fd kept open on purpose: the lock lives with us */
}

int runlock_held(const char *data_dir, long *pid)
{
	char text[32] = { 0 };
	int fd = open_lock(data_dir, O_RDONLY);

	*pid = 0;
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	if (read(fd, text, sizeof(text) - 1) > 0)
		*pid = strtol(text, NULL, 10);
	close(fd);
	return 1;
}

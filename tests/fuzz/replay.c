/*
 * replay.c — runs a fuzz target without libFuzzer: every regular file of
 * each directory argument (and each file argument) is read whole and passed
 * to LLVMFuzzerTestOneInput once, in name order so a failure is repeatable.
 * Exit 0 when every input was fed; 1 when an argument cannot be read or a
 * directory holds no input (an empty corpus would test nothing). A crash or
 * sanitizer report ends the process, which CTest counts as a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int feed_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int ret = -1;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot size\n", path);
		goto cleanup;
	}
	/* malloc(0) may return NULL; one spare byte keeps it real. */
	buf = malloc((size_t)len + 1);
	if (buf == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		goto cleanup;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: %s: short read\n", path);
		goto cleanup;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	ret = 0;
cleanup:
	free(buf);
	fclose(f);
	return ret;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int feed_dir(const char *dir, size_t *count)
{
	struct dirent **names = NULL;
	char path[4096];
	struct stat st;
	int n, i, ret = 0;

	n = scandir(dir, &names, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ret == 0 && names[i]->d_name[0] != '.') {
			if (snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]->d_name) >= (int)sizeof(path)) {
				fprintf(stderr, "replay: %s: path too long\n", dir);
				ret = -1;
			} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (feed_file(path) != 0)
					ret = -1;
				else
					(*count)++;
			}
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	struct stat st;
	size_t count;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		count = 0;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (feed_dir(argv[i], &count) != 0)
				return 1;
			if (count == 0) {
				fprintf(stderr, "replay: %s: no inputs\n", argv[i]);
				return 1;
			}
		} else {
			if (feed_file(argv[i]) != 0)
				return 1;
			count = 1;
		}
		printf("replay: %s: %zu inputs ok\n", argv[i], count);
	}
	return 0;
}

/*
 * error.h — the one set of error codes every gfi module returns.
 *
 * Functions return 0 on success or a negative GFI_E_* code. Each library's own
 * codes (libmodbus errno, SQLite rc, mbedTLS ret, Paho rc) are translated once,
 * in the module that wraps that library.
 */
#ifndef GFI_ERROR_H
#define GFI_ERROR_H

enum {
	GFI_OK = 0,
	GFI_E_INVAL = -1,    /* bad argument or input */
	GFI_E_NOMEM = -2,    /* allocation failed */
	GFI_E_IO = -3,       /* file or device I/O failed */
	GFI_E_PARSE = -4,    /* malformed text or JSON */
	GFI_E_RANGE = -5,    /* value out of range, NaN or infinite */
	GFI_E_NOTFOUND = -6, /* named thing does not exist */
	GFI_E_TIMEOUT = -7,  /* peer did not answer in time */
	GFI_E_PROTO = -8,    /* protocol error or exception from a peer */
	GFI_E_DB = -9,       /* database error */
	GFI_E_FULL = -10,    /* bounded buffer or queue full */
	GFI_E_CRYPTO = -11,  /* signature or key error */
	GFI_E_EXISTS = -12,  /* already exists */
	GFI_E_STATE = -13,   /* call not valid in this state */
	GFI_E_BUSY = -14,    /* another writer holds the store: try again */
};

/* A short English description of a GFI_E_* code; never NULL. */
const char *gfi_strerror(int code);

#endif

/*
 * error.c — text for the shared error codes.
 */
#include "error.h"

const char *gfi_strerror(int code)
{
	switch (code) {
	case GFI_OK: return "success";
	case GFI_E_INVAL: return "invalid argument";
	case GFI_E_NOMEM: return "out of memory";
	case GFI_E_IO: return "i/o error";
	case GFI_E_PARSE: return "parse error";
	case GFI_E_RANGE: return "value out of range";
	case GFI_E_NOTFOUND: return "not found";
	case GFI_E_TIMEOUT: return "timed out";
	case GFI_E_PROTO: return "protocol error";
	case GFI_E_DB: return "database error";
	case GFI_E_FULL: return "full";
	case GFI_E_CRYPTO: return "cryptographic error";
	case GFI_E_EXISTS: return "already exists";
	case GFI_E_STATE: return "invalid state";
	case GFI_E_BUSY: return "busy (another writer holds the store; try again)";
	default: return "unknown error";
	}
}

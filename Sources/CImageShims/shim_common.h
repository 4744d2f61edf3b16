// Helpers shared by the PNG and JPEG glue (private to CImageShims).
#ifndef AGFAS_SHIM_COMMON_H
#define AGFAS_SHIM_COMMON_H

#include <stdio.h>

/// Room for a library message; both libraries' messages are far shorter.
#define AGFAS_MESSAGE_SIZE 200

static inline void agfas_copy_message(char *dst, size_t size, const char *message) {
  if (dst != NULL && size > 0) snprintf(dst, size, "%s", message != NULL ? message : "unknown error");
}

#endif

#include <stdlib.h>

#include "image_shims.h"

void agfas_free(void *pointer) { free(pointer); }

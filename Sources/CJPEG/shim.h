// libjpeg-turbo (libjpeg 6.2 API) from Debian's libjpeg62-turbo-dev; jpeglib.h needs stdio.h first.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>

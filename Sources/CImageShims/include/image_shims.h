// C glue between AGFASImage (Swift) and libpng / libjpeg-turbo.
//
// Both libraries report fatal errors by longjmp, which must never cross Swift frames. Every
// function here sets its own jump point, so a library error returns -1 with the library's
// message in `err` and the longjmp never leaves C. Decoding is split in two calls so Swift can
// check the image size against its limit after the header is read and before any pixel
// memory is allocated.
#ifndef AGFAS_IMAGE_SHIMS_H
#define AGFAS_IMAGE_SHIMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What a decoder reports after reading the header: the size and layout of the 8-bit
/// interleaved pixels `read` will write, and the file's own layout for messages.
typedef struct {
  uint32_t width;
  uint32_t height;
  /// Channels of the decoded pixels: 1 grey, 3 RGB, 4 RGBA (PNG) or inverted CMYK (JPEG).
  int32_t channels;
  /// Bits per sample in the file (PNG 1, 2, 4, 8, 16; JPEG 8).
  int32_t bit_depth;
  /// Samples per pixel in the file (PNG palette counts 1; JPEG components).
  int32_t file_channels;
  /// Nonzero for Adam7-interlaced PNG or progressive JPEG.
  int32_t interlaced;
} agfas_image_header;

typedef struct agfas_png_reader agfas_png_reader;
typedef struct agfas_jpeg_reader agfas_jpeg_reader;

/// Reads a PNG header from `data` (which must stay valid until close) and sets the
/// transformations: palette and 1/2/4-bit grey expanded to 8 bits, 16-bit samples reduced to
/// their high byte, grey+alpha widened to RGBA, tRNS applied for palette images only, gamma
/// chunks ignored (as Pillow does). 0 on success; on failure *reader is NULL.
int agfas_png_open(const uint8_t *data, size_t size, agfas_png_reader **reader,
                   agfas_image_header *header, char *err, size_t err_size);
/// Decodes all rows (interlaced or not) into `pixels`, height rows of width*channels bytes.
int agfas_png_read(agfas_png_reader *reader, uint8_t *pixels, char *err, size_t err_size);
void agfas_png_close(agfas_png_reader *reader);

/// Encodes 8-bit interleaved pixels (channels 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) as a
/// non-interlaced PNG with zlib's default level. On success *out is malloc'd (release it with
/// agfas_free) and *out_size is its length.
int agfas_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int32_t channels,
                     uint8_t **out, size_t *out_size, char *err, size_t err_size);

/// Reads a JPEG header from `data` (which must stay valid until close) and chooses the
/// output: grey stays grey, YCbCr/RGB becomes RGB, CMYK/YCCK becomes CMYK (4 channels).
int agfas_jpeg_open(const uint8_t *data, size_t size, agfas_jpeg_reader **reader,
                    agfas_image_header *header, char *err, size_t err_size);
/// Decodes all scanlines into `pixels`. Data that ends before the EOI marker is an error.
int agfas_jpeg_read(agfas_jpeg_reader *reader, uint8_t *pixels, char *err, size_t err_size);
void agfas_jpeg_close(agfas_jpeg_reader *reader);

void agfas_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif

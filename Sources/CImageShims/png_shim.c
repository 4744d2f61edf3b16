// PNG decode and encode through libpng's full API, with every longjmp kept inside C.
// The simplified png_image API is setjmp-free but converts 16-bit and gAMA-tagged files to
// sRGB and scales 16-bit samples with rounding; Pillow does neither (it ignores gAMA and keeps
// the high byte), so the transformations are set here explicitly to decode as Pillow does.
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "image_shims.h"
#include "shim_common.h"

struct agfas_png_reader {
  png_structp png;
  png_infop info;
  const uint8_t *data;
  size_t size;
  size_t offset;
  uint32_t width;
  uint32_t height;
  int32_t channels;
  png_bytep *rows;
  char message[AGFAS_MESSAGE_SIZE];
};

/// Where encoded bytes go; on the heap so its fields are well defined after a longjmp.
typedef struct {
  uint8_t *data;
  size_t size;
  size_t capacity;
  char message[AGFAS_MESSAGE_SIZE];
} png_sink;

/// libpng's fatal-error hook: keep the message (the error pointer is the owner's message
/// buffer) and jump back to the entry point that set png_jmpbuf.
static void on_error(png_structp png, png_const_charp message) {
  agfas_copy_message(png_get_error_ptr(png), AGFAS_MESSAGE_SIZE, message);
  png_longjmp(png, 1);
}

/// Warnings (damaged ancillary chunks, odd palettes) are no reason to refuse an image, and a
/// library must not print to stderr.
static void on_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

static void read_from_memory(png_structp png, png_bytep out, size_t count) {
  agfas_png_reader *r = png_get_io_ptr(png);
  if (count > r->size - r->offset) png_error(png, "unexpected end of data (truncated file)");
  memcpy(out, r->data + r->offset, count);
  r->offset += count;
}

/// Channels after the transformations set in agfas_png_open, from the header alone, so
/// nothing sized by the image is allocated before the caller checks its limit.
static int32_t output_channels(png_structp png, png_infop info) {
  switch (png_get_color_type(png, info)) {
  case PNG_COLOR_TYPE_GRAY: return 1;
  case PNG_COLOR_TYPE_RGB: return 3;
  case PNG_COLOR_TYPE_PALETTE: return png_get_valid(png, info, PNG_INFO_tRNS) ? 4 : 3;
  default: return 4;  // grey+alpha (widened to RGBA) and RGBA
  }
}

int agfas_png_open(const uint8_t *data, size_t size, agfas_png_reader **reader,
                   agfas_image_header *header, char *err, size_t err_size) {
  *reader = NULL;
  agfas_png_reader *r = calloc(1, sizeof *r);
  if (r == NULL) {
    agfas_copy_message(err, err_size, "out of memory");
    return -1;
  }
  r->data = data;
  r->size = size;
  r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r->message, on_error, on_warning);
  if (r->png != NULL) r->info = png_create_info_struct(r->png);
  if (r->info == NULL) {
    agfas_copy_message(err, err_size, "out of memory");
    agfas_png_close(r);
    return -1;
  }
  if (setjmp(png_jmpbuf(r->png))) {
    agfas_copy_message(err, err_size, r->message);
    agfas_png_close(r);
    return -1;
  }
  png_set_read_fn(r->png, r, read_from_memory);
  // The caller's pixel limit decides; libpng's default 1e6-per-side cap would give a vaguer error.
  png_set_user_limits(r->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(r->png, r->info);

  int color = png_get_color_type(r->png, r->info);
  int depth = png_get_bit_depth(r->png, r->info);
  header->width = r->width = png_get_image_width(r->png, r->info);
  header->height = r->height = png_get_image_height(r->png, r->info);
  header->channels = r->channels = output_channels(r->png, r->info);
  header->bit_depth = depth;
  header->file_channels = png_get_channels(r->png, r->info);
  header->interlaced = png_get_interlace_type(r->png, r->info) != PNG_INTERLACE_NONE;

  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);  // also applies tRNS
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
  if (depth == 16) png_set_strip_16(r->png);  // keeps the high byte, as Pillow's ;16B unpackers
  if (color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r->png);
  png_set_interlace_handling(r->png);
  *reader = r;
  return 0;
}

int agfas_png_read(agfas_png_reader *r, uint8_t *pixels, char *err, size_t err_size) {
  if (setjmp(png_jmpbuf(r->png))) {
    agfas_copy_message(err, err_size, r->message);
    return -1;
  }
  png_read_update_info(r->png, r->info);
  size_t row_bytes = (size_t)r->width * (size_t)r->channels;
  if (png_get_bit_depth(r->png, r->info) != 8 || png_get_channels(r->png, r->info) != r->channels ||
      png_get_rowbytes(r->png, r->info) != row_bytes) {
    png_error(r->png, "libpng produced an unexpected pixel layout");
  }
  r->rows = malloc((size_t)r->height * sizeof *r->rows);
  if (r->rows == NULL) png_error(r->png, "out of memory");
  for (uint32_t y = 0; y < r->height; y++) r->rows[y] = pixels + (size_t)y * row_bytes;
  png_read_image(r->png, r->rows);
  return 0;
}

void agfas_png_close(agfas_png_reader *r) {
  if (r == NULL) return;
  png_destroy_read_struct(&r->png, &r->info, NULL);
  free(r->rows);
  free(r);
}

static void write_to_memory(png_structp png, png_bytep bytes, size_t count) {
  png_sink *sink = png_get_io_ptr(png);
  if (count > sink->capacity - sink->size) {
    size_t capacity = sink->capacity > 0 ? sink->capacity : 4096;
    while (capacity - sink->size < count) {
      if (capacity > SIZE_MAX / 2) png_error(png, "encoded image too large");
      capacity *= 2;
    }
    uint8_t *grown = realloc(sink->data, capacity);
    if (grown == NULL) png_error(png, "out of memory");
    sink->data = grown;
    sink->capacity = capacity;
  }
  memcpy(sink->data + sink->size, bytes, count);
  sink->size += count;
}

static void flush_nothing(png_structp png) { (void)png; }

int agfas_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int32_t channels,
                     uint8_t **out, size_t *out_size, char *err, size_t err_size) {
  static const int color_types[5] = {-1, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA};
  *out = NULL;
  *out_size = 0;
  if (channels < 1 || channels > 4) {
    agfas_copy_message(err, err_size, "PNG holds 1 to 4 channels");
    return -1;
  }
  png_sink *sink = calloc(1, sizeof *sink);
  png_bytep *rows = malloc(((size_t)height + 1) * sizeof *rows);
  png_structp png = NULL;
  png_infop info = NULL;
  if (sink != NULL && rows != NULL)
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink->message, on_error, on_warning);
  if (png != NULL) info = png_create_info_struct(png);
  if (info == NULL) {
    agfas_copy_message(err, err_size, "out of memory");
    png_destroy_write_struct(&png, NULL);
    free(rows);
    free(sink);
    return -1;
  }
  if (setjmp(png_jmpbuf(png))) {
    agfas_copy_message(err, err_size, sink->message);
    png_destroy_write_struct(&png, &info);
    free(rows);
    free(sink->data);
    free(sink);
    return -1;
  }
  png_set_write_fn(png, sink, write_to_memory, flush_nothing);
  png_set_IHDR(png, info, width, height, 8, color_types[channels], PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t row_bytes = (size_t)width * (size_t)channels;
  // libpng takes non-const rows but only reads them when writing.
  for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * row_bytes);
  png_write_image(png, rows);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  free(rows);
  *out = sink->data;
  *out_size = sink->size;
  free(sink);
  return 0;
}

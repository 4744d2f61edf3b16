// JPEG decode through libjpeg-turbo with an error manager that jumps back here instead of
// calling exit(), and that turns premature end of data into an error (libjpeg's default is a
// warning and grey filler, which would pass a truncated upload off as a whole image). Like
// Pillow, a file that ends without its EOI marker counts as truncated.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jerror.h>
#include <jpeglib.h>

#include "image_shims.h"
#include "shim_common.h"

/// Progressive files can repeat scans without end to burn CPU on a tiny file; real encoders
/// write about ten.
#define AGFAS_JPEG_MAX_SCANS 1000

typedef struct {
  struct jpeg_error_mgr pub;  // first, so libjpeg's err pointer is also a pointer to this
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64];
} error_manager;

struct agfas_jpeg_reader {
  struct jpeg_decompress_struct cinfo;
  error_manager error;
  struct jpeg_progress_mgr progress;
  int created;
};

static _Noreturn void fail(j_common_ptr cinfo, const char *suffix) {
  error_manager *e = (error_manager *)cinfo->err;
  char text[JMSG_LENGTH_MAX];
  cinfo->err->format_message(cinfo, text);
  snprintf(e->message, sizeof e->message, "%s%s", text, suffix);
  longjmp(e->jump, 1);
}

static void on_error_exit(j_common_ptr cinfo) { fail(cinfo, ""); }

/// Warnings (e.g. stray bytes between markers) are counted and kept quiet, as Pillow ignores
/// them, except running out of data.
static void on_emit_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  error_manager *e = (error_manager *)cinfo->err;
  e->pub.num_warnings++;
  if (e->pub.msg_code == JWRN_JPEG_EOF) fail(cinfo, " (truncated file)");
}

static void on_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  j_decompress_ptr d = (j_decompress_ptr)cinfo;
  if (d->input_scan_number > AGFAS_JPEG_MAX_SCANS) {
    error_manager *e = (error_manager *)cinfo->err;
    snprintf(e->message, sizeof e->message, "more than %d progressive scans", AGFAS_JPEG_MAX_SCANS);
    longjmp(e->jump, 1);
  }
}

int agfas_jpeg_open(const uint8_t *data, size_t size, agfas_jpeg_reader **reader,
                    agfas_image_header *header, char *err, size_t err_size) {
  *reader = NULL;
  agfas_jpeg_reader *r = calloc(1, sizeof *r);
  if (r == NULL) {
    agfas_copy_message(err, err_size, "out of memory");
    return -1;
  }
  r->cinfo.err = jpeg_std_error(&r->error.pub);
  r->error.pub.error_exit = on_error_exit;
  r->error.pub.emit_message = on_emit_message;
  if (setjmp(r->error.jump)) {
    agfas_copy_message(err, err_size, r->error.message);
    agfas_jpeg_close(r);
    return -1;
  }
  jpeg_create_decompress(&r->cinfo);
  r->created = 1;
  r->progress.progress_monitor = on_progress;
  r->cinfo.progress = &r->progress;
  jpeg_mem_src(&r->cinfo, data, (unsigned long)size);
  jpeg_read_header(&r->cinfo, TRUE);
  switch (r->cinfo.jpeg_color_space) {
  case JCS_GRAYSCALE: r->cinfo.out_color_space = JCS_GRAYSCALE; break;
  case JCS_CMYK:
  case JCS_YCCK: r->cinfo.out_color_space = JCS_CMYK; break;
  default: r->cinfo.out_color_space = JCS_RGB; break;
  }
  jpeg_calc_output_dimensions(&r->cinfo);  // sizes only; allocates nothing image-sized
  header->width = r->cinfo.output_width;
  header->height = r->cinfo.output_height;
  header->channels = r->cinfo.output_components;
  header->bit_depth = r->cinfo.data_precision;
  header->file_channels = r->cinfo.num_components;
  header->interlaced = r->cinfo.progressive_mode ? 1 : 0;
  *reader = r;
  return 0;
}

int agfas_jpeg_read(agfas_jpeg_reader *r, uint8_t *pixels, char *err, size_t err_size) {
  if (setjmp(r->error.jump)) {
    agfas_copy_message(err, err_size, r->error.message);
    return -1;
  }
  jpeg_start_decompress(&r->cinfo);
  size_t row_bytes = (size_t)r->cinfo.output_width * (size_t)r->cinfo.output_components;
  while (r->cinfo.output_scanline < r->cinfo.output_height) {
    JSAMPROW row = pixels + (size_t)r->cinfo.output_scanline * row_bytes;
    jpeg_read_scanlines(&r->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&r->cinfo);
  return 0;
}

void agfas_jpeg_close(agfas_jpeg_reader *r) {
  if (r == NULL) return;
  if (r->created) jpeg_destroy_decompress(&r->cinfo);
  free(r);
}

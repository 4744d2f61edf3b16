#include "agfas_video.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdio.h>

// All libav state of one decode, released in one place whatever path the decode takes.
typedef struct {
  AVFormatContext *format;
  AVCodecContext *codec;
  AVPacket *packet;
  AVFrame *frame;
  struct SwsContext *scaler;
  uint8_t *rgb[4];
  int rgb_stride[4];
  int width, height, stream, every, index;
  long long max_pixels;
  agfas_frame_fn fn;
  void *context;
} decoder;

static int fail(char *error, int size, const char *what, int code) {
  char reason[128] = "";
  if (code < 0) av_strerror(code, reason, sizeof reason);
  snprintf(error, (size_t)size, "%s%s%s", what, reason[0] ? ": " : "", reason);
  return code < 0 ? code : -1;
}

// Converts and hands out the frames the decoder has ready. Returns 0, 1 (stopped) or < 0.
static int drain(decoder *d, char *error, int size) {
  for (;;) {
    int r = avcodec_receive_frame(d->codec, d->frame);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
    if (r < 0) return fail(error, size, "cannot decode a frame", r);
    int index = d->index++;
    if (index % d->every != 0) continue;
    AVFrame *f = d->frame;
    if ((long long)f->width * f->height > d->max_pixels)
      return fail(error, size, "frame is larger than the pixel limit", -1);
    if (!d->scaler || f->width != d->width || f->height != d->height) {
      sws_freeContext(d->scaler);
      av_freep(&d->rgb[0]);
      d->width = f->width;
      d->height = f->height;
      d->scaler = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, f->width, f->height,
                                 AV_PIX_FMT_RGB24, SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL,
                                 NULL);
      if (!d->scaler) return fail(error, size, "cannot convert the frame format to RGB", -1);
      r = av_image_alloc(d->rgb, d->rgb_stride, f->width, f->height, AV_PIX_FMT_RGB24, 16);
      if (r < 0) return fail(error, size, "out of memory", r);
    }
    sws_scale(d->scaler, (const uint8_t *const *)f->data, f->linesize, 0, f->height, d->rgb, d->rgb_stride);
    if (d->fn(d->context, index, f->width, f->height, d->rgb[0], d->rgb_stride[0])) return 1;
  }
}

static int run(decoder *d, const char *path, char *error, int size) {
  int r = avformat_open_input(&d->format, path, NULL, NULL);
  if (r < 0) return fail(error, size, "cannot open the video", r);
  r = avformat_find_stream_info(d->format, NULL);
  if (r < 0) return fail(error, size, "cannot read the stream information", r);
  const AVCodec *codec = NULL;
  d->stream = av_find_best_stream(d->format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (d->stream < 0) return fail(error, size, "no decodable video stream", d->stream);
  d->codec = avcodec_alloc_context3(codec);
  if (!d->codec) return fail(error, size, "out of memory", -1);
  r = avcodec_parameters_to_context(d->codec, d->format->streams[d->stream]->codecpar);
  if (r < 0) return fail(error, size, "bad codec parameters", r);
  r = avcodec_open2(d->codec, codec, NULL);
  if (r < 0) return fail(error, size, "cannot open the decoder", r);
  d->packet = av_packet_alloc();
  d->frame = av_frame_alloc();
  if (!d->packet || !d->frame) return fail(error, size, "out of memory", -1);
  while ((r = av_read_frame(d->format, d->packet)) >= 0) {
    int sent = d->packet->stream_index == d->stream ? avcodec_send_packet(d->codec, d->packet) : 0;
    av_packet_unref(d->packet);
    if (sent < 0 && sent != AVERROR(EAGAIN)) return fail(error, size, "corrupt video data", sent);
    int drained = drain(d, error, size);
    if (drained != 0) return drained;
  }
  if (r != AVERROR_EOF) return fail(error, size, "cannot read the video", r);
  avcodec_send_packet(d->codec, NULL);  // flush the frames the decoder still holds
  return drain(d, error, size);
}

int agfas_video_decode(const char *path, int every, long long max_pixels, agfas_frame_fn fn, void *context,
                       char *error, int error_size) {
  decoder d = {0};
  d.every = every > 0 ? every : 1;
  d.max_pixels = max_pixels;
  d.fn = fn;
  d.context = context;
  av_log_set_level(AV_LOG_QUIET);  // failures come back as messages instead
  int r = run(&d, path, error, error_size);
  av_freep(&d.rgb[0]);
  sws_freeContext(d.scaler);
  av_frame_free(&d.frame);
  av_packet_free(&d.packet);
  avcodec_free_context(&d.codec);
  avformat_close_input(&d.format);
  return r;
}

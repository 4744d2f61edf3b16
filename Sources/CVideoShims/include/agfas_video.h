#ifndef AGFAS_VIDEO_H
#define AGFAS_VIDEO_H

/// Receives one decoded frame as packed RGB24 (`stride` bytes per row). Return non-zero to stop.
typedef int (*agfas_frame_fn)(void *context, int index, int width, int height, const unsigned char *rgb,
                              int stride);

/// Decodes the best video stream of `path` with libavformat/libavcodec and passes every
/// `every`-th frame (0-based decode order) to `fn` as RGB24. Frames larger than `max_pixels`
/// are refused. Returns 0 on success, 1 when `fn` stopped early, negative on failure with a
/// message in `error`.
int agfas_video_decode(const char *path, int every, long long max_pixels, agfas_frame_fn fn, void *context,
                       char *error, int error_size);

#endif

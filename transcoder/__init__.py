"""The transcoder: workers that turn uploaded videos into HLS packages with ffmpeg."""

"""Codecs and audio channels as NewsML-G2 can name them: by URI (``videocodecuri``, ``audiocodecuri``,
``audiochannelsuri`` on ``remoteContent``).

NewsML-G2's own attributes (``videocodec``…) take IPTC QCodes, whose codes (IPTC's Video Codec, Audio
Codec and Audio Channels NewsCodes) no package this hub can install ships. So a codec is named by its
IANA media type, the registered name of that coding (RFC 6184 registered ``video/H264``, RFC 7587
``audio/opus``; WebRTC names codecs the same way), and a channel count by MPEG-DASH's audio channel
configuration scheme (ISO/IEC 23009-1, whose value is the number of channels). A codec without a
registered media type (ProRes, little-endian PCM) is not named at all rather than guessed.
"""

from __future__ import annotations

IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
DASH_CHANNELS = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011:"

# ffprobe's codec name -> the IANA media type registered for that coding (one name each, so the reader
# gives back the name the writer was given)
CODEC_MEDIA_TYPES = {
    "h264": "video/H264",  # RFC 6184
    "hevc": "video/H265",  # RFC 7798
    "vp8": "video/VP8",  # RFC 7741
    "vp9": "video/VP9",  # RFC 9628
    "av1": "video/AV1",  # AOMedia's RTP payload format
    "mpeg2video": "video/MPV",  # RFC 3555 (MPEG-1 and MPEG-2 video)
    "mpeg4": "video/MP4V-ES",  # RFC 6416 (MPEG-4 Part 2)
    "mjpeg": "video/JPEG",  # RFC 3555
    "h263": "video/H263-2000",  # RFC 4629
    "aac": "audio/aac",  # ISO/IEC JTC 1
    "mp3": "audio/mpeg",  # RFC 3003
    "opus": "audio/opus",  # RFC 7587
    "vorbis": "audio/vorbis",  # RFC 5215
    "flac": "audio/flac",  # RFC 9639
    "ac3": "audio/ac3",  # RFC 4184
    "eac3": "audio/eac3",  # RFC 4598
    "pcm_s16be": "audio/L16",  # RFC 3551: 16-bit linear PCM in network byte order
    "pcm_s24be": "audio/L24",  # RFC 3190
    "pcm_alaw": "audio/PCMA",  # RFC 3551
    "pcm_mulaw": "audio/PCMU",  # RFC 3551
}
_NAMES = {IANA_MEDIA_TYPES + media_type: name for name, media_type in CODEC_MEDIA_TYPES.items()}


def codec_uri(name: object) -> str | None:
    """The URI of the codec ffprobe calls ``name`` (``h264`` -> IANA's ``video/H264``), or None."""
    media_type = CODEC_MEDIA_TYPES.get(name.lower()) if isinstance(name, str) else None
    return IANA_MEDIA_TYPES + media_type if media_type else None


def codec_name(uri: object) -> str | None:
    """The codec name a :func:`codec_uri` URI stands for, or None for any other URI."""
    return _NAMES.get(uri) if isinstance(uri, str) else None


def channels_uri(channels: object) -> str | None:
    """The DASH audio channel configuration URI of a channel count (``2`` -> ``…:2011:2``), or None."""
    if isinstance(channels, bool) or not isinstance(channels, int) or not 0 < channels <= 64:
        return None
    return DASH_CHANNELS + str(channels)


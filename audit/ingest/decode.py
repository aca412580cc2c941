"""Bytes to text: detect the encoding, refuse binary, record what was used."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Single-byte code pages that charset detection often prefers to windows-1252 on
# short Western text, decoding é, ï, “ ” into other letters.
_LATIN_LOOKALIKES = frozenset(
    {
        "cp1250",
        "cp1257",
        "cp775",
        "cp850",
        "cp437",
        "cp858",
        "latin_1",
        "iso8859_2",
        "iso8859_3",
        "iso8859_4",
        "iso8859_9",
        "iso8859_10",
        "iso8859_13",
        "iso8859_14",
        "iso8859_15",
        "iso8859_16",
        "mac_latin2",
        "mac_roman",
        "mac_iceland",
        "hp_roman8",
    }
)
_COHERENCE_MARGIN = 0.1  # how much less coherent windows-1252 may look and still win
_ESCAPED = re.compile("[\udc80-\udcff]")  # undecodable bytes under surrogateescape


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, or the reason it could not be.

    ``bad_bytes`` are the character offsets in ``text`` of bytes that were not
    valid UTF-8 in an otherwise UTF-8 file, read as windows-1252 instead.
    """

    text: str
    encoding: str | None
    error: str | None = None
    bad_bytes: tuple[int, ...] = ()


def decode_bytes(data: bytes) -> Decoded:
    """Decode ``data``: BOM, then UTF-8 (strict, or mixed with windows-1252), then detection.

    Binary data (NUL bytes in more than 1% of it, or many control characters)
    is refused with ``error`` set; a text with a few NUL characters is decoded
    with them (intake flags them).

    Example:
        >>> decode_bytes("café".encode("cp1252")).text
        'café'
        >>> decode_bytes("café ".encode() + b"\\xe9t\\xe9").encoding
        'utf-8+cp1252'
    """
    if not data:
        return Decoded("", None, "empty file")
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(name), name)
            except UnicodeDecodeError as exc:
                return Decoded("", name, f"invalid {name} after byte-order mark: {exc.reason}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _looks_binary(data, some_nul=True):
            return Decoded("", "utf-8", "binary file (NUL or control bytes)")
        return Decoded(text, "utf-8")
    if _looks_binary(data, some_nul=False):
        return Decoded("", None, "binary file (not text in any known encoding)")
    mixed = _mixed_utf8(data)
    if mixed is not None:
        return mixed
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return Decoded("", None, "undecodable bytes (no text encoding fits)")
    # The web's most common legacy encoding wins near-ties among Latin code pages.
    if best.encoding in _LATIN_LOOKALIKES:
        for m in matches:
            if (
                m.encoding == "cp1252"
                and m.chaos <= best.chaos
                and m.coherence >= best.coherence - _COHERENCE_MARGIN
            ):
                best = m
                break
    return Decoded(str(best), best.encoding)


def _mixed_utf8(data: bytes) -> Decoded | None:
    """Mostly UTF-8 with some stray bytes (a truncated sequence, a windows-1252 quote):
    valid sequences as UTF-8, the others as windows-1252; None when it is not mostly UTF-8."""
    escaped = data.decode("utf-8", "surrogateescape")
    stray = [m.start() for m in _ESCAPED.finditer(escaped)]
    non_ascii = len(escaped) - len(escaped.encode("ascii", "ignore"))
    if non_ascii - len(stray) < max(1, len(stray)):
        return None
    text = _ESCAPED.sub(
        lambda m: bytes([ord(m.group()) - 0xDC00]).decode("cp1252", "replace"), escaped
    )
    return Decoded(text, "utf-8+cp1252", bad_bytes=tuple(stray))


def _looks_binary(data: bytes, some_nul: bool) -> bool:
    """Whether a sample of ``data`` has NUL bytes (over 1% with ``some_nul``) or many
    control characters."""
    sample = data[:8192]
    if sample.count(0) > (max(2, len(sample) // 100) if some_nul else 0):
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (0, 9, 10, 12, 13, 27))
    return controls > len(sample) * 0.1

"""Bytes to text: detect the encoding, refuse binary, record what was used."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, or the reason it could not be."""

    text: str
    encoding: str | None
    error: str | None = None


def decode_bytes(data: bytes) -> Decoded:
    """Decode ``data``: BOM, then strict UTF-8, then charset detection.

    Example:
        >>> decode_bytes("café".encode("cp1252")).text
        'café'
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
        if "\x00" in text:
            return Decoded("", "utf-8", "binary file (contains NUL bytes)")
        return Decoded(text, "utf-8")
    if _looks_binary(data):
        return Decoded("", None, "binary file (not text in any known encoding)")
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return Decoded("", None, "undecodable bytes (no text encoding fits)")
    # Ties are common on short Western text; the web's most common legacy encoding wins them.
    for m in matches:
        if m.encoding == "cp1252" and m.chaos <= best.chaos and m.coherence >= best.coherence:
            best = m
            break
    return Decoded(str(best), best.encoding)


def _looks_binary(data: bytes) -> bool:
    """Whether a sample of ``data`` has NUL bytes or many control characters."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(sample) * 0.1

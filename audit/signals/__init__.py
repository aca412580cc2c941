"""Signals: one column per derived fact about a document, with the evidence behind it.

Each signal is a small pure function over the chunk's columns, registered in
:mod:`audit.signals.registry`; :func:`compute_signals` runs them in order and adds
their columns (and an ``evidence`` column: check name -> evidence dict) to the
documents table. The expectation suites validate these columns.

Example:
    >>> import datetime as dt
    >>> from audit.config import Settings
    >>> from audit.model import Chunk
    >>> chunk = Chunk.from_records([{"doc_id": "a", "text": "", "url": "https://x.org/2022/10/05/a"}])
    >>> compute_signals(chunk, Settings(), dt.date(2025, 1, 1))
    >>> chunk.documents.loc[0, "url_date"]
    '2022-10-05'
"""

from audit.signals.registry import SIGNAL_TYPES, SIGNALS, check_registry, compute_signals

__all__ = ["SIGNALS", "SIGNAL_TYPES", "check_registry", "compute_signals"]

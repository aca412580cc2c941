"""audit: a data-quality and deduplication auditor for scraped text corpora.

The library API is :func:`run_audit`; the command line is a thin layer over it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Settings", "__version__", "run_audit"]

if TYPE_CHECKING:
    from audit.config import Settings
    from audit.model import AuditResult


def run_audit(settings: Settings, write: bool = True) -> AuditResult:
    """Audit a batch; see :func:`audit.pipeline.run_audit`."""
    from audit.pipeline import run_audit as _run

    return _run(settings, write=write)


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from audit.config import Settings

        return Settings
    raise AttributeError(name)

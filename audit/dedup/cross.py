"""Copies across documents: exact and near duplicates, syndication, canonical originals.

The steps, over compact per-document data of the whole batch:

1. Template paragraphs of each source are found (:mod:`audit.dedup.templates`)
   and left out of the bodies of the documents that carry them.
2. Documents with equal normalized bodies form exact groups; one
   representative per group goes on (so 100,000 identical documents cost one
   LSH entry and linear time).
3. Representatives are indexed by LSH band keys, with the bands and rows of
   a datasketch ``MinHashLSH`` for ``candidate_threshold`` (datasketch's
   optimizer, weighted for recall) and the same buckets, built by sorting the
   keys (:class:`audit.dedup.lsh.BandIndex`: memory for shared buckets only).
4. In canonical order (earliest published, then most credited by the batch,
   then longest body), each unclaimed representative queries the index; every
   candidate is checked by its MinHash estimates (Jaccard, and containment
   estimated from Jaccard and the exact shingle counts), then verified on the
   exact shingle sets: Jaccard >= ``min_jaccard``, or containment >=
   ``min_containment`` when the smaller body has at least
   ``min_containment_shingles`` shingles. A verified candidate joins the
   querying document's cluster and is not offered again. Members are thus verified
   against the cluster's canonical document, never merely against another
   member: no chaining.
5. Within each cluster the canonical choice is refined with credits among the
   members; a different canonical is taken only if every member verifies
   against it too.
6. Each copy gets ``exact_duplicate`` (same normalized body),
   ``near_duplicate`` (same source) or ``syndicated_copy`` (another source) with
   the canonical id, exact and estimated scores and the shared passages.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit.config import DedupSettings
from audit.dedup.credits import Credits, _host, load_credits
from audit.dedup.lsh import BandIndex
from audit.dedup.minhash import is_empty, sketch
from audit.dedup.templates import blank, find_templates
from audit.dedup.verify import (
    Profile,
    compare,
    estimate,
    profiles,
    shared_passages,
    sorted_unique,
)
from audit.model import Check, Cluster, Finding, Pair, Severity

_NO_DATE = "~"  # sorts after every 'YYYY-MM-DD'


@dataclass(slots=True)
class DedupOutcome:
    """What cross-document deduplication found.

    Attributes:
        clusters: groups of copies, each with its canonical original.
        findings: one per copy (``exact_duplicate``, ``near_duplicate``, ``syndicated_copy``).
        templates: ``(doc_id, idx)`` of body paragraphs that are their source's template:
            re-role them ``boilerplate`` with reason ``source_template``.
        stats: counts for the report (candidates, verified, rejected, cluster sizes).
    """

    clusters: list[Cluster] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    templates: list[tuple[str, int]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Batch:
    """The per-document arrays the steps share."""

    ids: list[str]
    outlets: list[str]
    dates: list[str]
    names: list[frozenset[str]]  # what a credit of this document's origin would name
    credited: list[tuple[str, ...]]
    sig: np.ndarray
    texts: MutableSequence[str]  # a list, or a view that reads spilled texts on access
    digests: np.ndarray
    words: np.ndarray
    shingles: np.ndarray
    own_sig: bool = False  # sig may be changed in place (no one else holds it)


def _column(docs: pd.DataFrame, name: str) -> list[Any]:
    return docs[name].tolist() if name in docs.columns else [None] * len(docs)


def _outlet(domain: Any, source: Any) -> str:
    host = _host(domain) if isinstance(domain, str) else ""
    return host or (str(source) if source is not None else "")


def _date(value: Any) -> str:
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit():
        return value[:10]
    if hasattr(value, "isoformat") and not pd.isna(value):
        return str(value.isoformat())[:10]
    return _NO_DATE


def _batch(
    docs: pd.DataFrame,
    signatures: np.ndarray,
    body_texts: Sequence[str],
    settings: DedupSettings,
    credits: Credits,
) -> _Batch:
    n = len(docs)
    sig = np.asarray(signatures)
    if sig.shape != (n, settings.num_perm) or len(body_texts) != n:
        raise ValueError(
            f"deduplicate: {n} documents need {n} x {settings.num_perm} signatures and {n} "
            f"body texts, got {sig.shape} and {len(body_texts)}"
        )
    sig = sig.astype(np.uint32, copy=False)
    texts: MutableSequence[str]
    if isinstance(body_texts, MutableSequence) and not isinstance(body_texts, list):
        texts = body_texts  # already strings, read from disk when a row is compared
    else:
        texts = [t if isinstance(t, str) else "" for t in body_texts]
    if {"body_digest", "body_words", "body_shingles"} <= set(docs.columns):
        digests = docs["body_digest"].to_numpy().astype(np.uint64)
        words = docs["body_words"].to_numpy().astype(np.int64)
        shingles = docs["body_shingles"].to_numpy().astype(np.int64)
    else:
        sk = sketch(list(texts), settings)
        digests, words, shingles = sk.digests, sk.words, sk.shingles
    domains, sources = _column(docs, "domain"), _column(docs, "source")
    outlets = [_outlet(d, s) for d, s in zip(domains, sources, strict=True)]
    # one object per distinct value, not one per document (a million sets are 200 MB)
    by_domain: dict[Any, frozenset[str]] = {}
    keys = [d if isinstance(d, str) else None for d in domains]
    names = [
        by_domain[d] if d in by_domain else by_domain.setdefault(d, _names(d, credits))
        for d in keys
    ]
    by_credits: dict[tuple[str, ...], tuple[str, ...]] = {}
    credited = [
        by_credits.setdefault(key, key)
        for key in (
            tuple(c) if isinstance(c, list | tuple) else () for c in _column(docs, "credited")
        )
    ]
    dates_col = "published_date" if "published_date" in docs.columns else "published"
    return _Batch(
        ids=[str(i) for i in docs["doc_id"].tolist()],
        outlets=outlets,
        dates=[_date(v) for v in _column(docs, dates_col)],
        names=names,
        credited=credited,
        sig=sig,
        texts=texts,
        digests=digests,
        words=words,
        shingles=shingles,
    )


def _names(domain: Any, credits: Credits) -> frozenset[str]:
    return frozenset(x for x in (credits.agency_of_domain(domain), _host(domain)) if x)


def _credited_counts(b: _Batch, rows: list[int] | None = None) -> dict[int, int]:
    """How many documents (of ``rows``, or all) credit each document's origin."""
    rows = list(range(len(b.ids))) if rows is None else rows
    tally: dict[str, int] = {}
    for r in rows:
        for name in set(b.credited[r]):
            tally[name] = tally.get(name, 0) + 1
    if not tally:
        return {}
    out = {}
    for r in rows:
        c = sum(tally.get(name, 0) for name in b.names[r])
        if c:
            out[r] = c
    return out


def _apply_templates(
    b: _Batch, body_paragraphs: Iterable[Any], settings: DedupSettings
) -> list[Any]:
    found = find_templates(b.ids, b.outlets, body_paragraphs, b.texts, settings)
    if found.spans:
        rows = sorted(found.spans)
        new_texts = [blank(b.texts[r], found.spans[r]) for r in rows]
        sk = sketch(new_texts, settings)
        if not b.own_sig:
            b.sig = b.sig.copy()
        b.digests = b.digests.copy()
        b.words = b.words.copy()
        b.shingles = b.shingles.copy()
        for i, r in enumerate(rows):
            b.texts[r] = new_texts[i]
            b.sig[r] = sk.values[i]
            b.digests[r] = sk.digests[i]
            b.words[r] = sk.words[i]
            b.shingles[r] = sk.shingles[i]
    return [found.paragraphs, found.groups]


_CACHED_PROFILES = 4096  # profiles kept before the cache starts afresh


class _Verifier:
    """Exact checks of candidate pairs, with the latest profiles kept."""

    def __init__(self, b: _Batch, settings: DedupSettings) -> None:
        self.b = b
        self.s = settings
        self.cache: dict[int, Profile] = {}

    def profile(self, row: int) -> Profile:
        p = self.cache.get(row)
        if p is None:
            self.warm([row])
            p = self.cache[row]
        return p

    def warm(self, rows: Iterable[int]) -> None:
        """Compute the profiles of ``rows`` that are not cached, together (faster)."""
        todo = [r for r in dict.fromkeys(rows) if r not in self.cache][:_CACHED_PROFILES]
        if len(self.cache) + len(todo) > _CACHED_PROFILES:
            self.cache.clear()
        texts = [self.b.texts[r] for r in todo]
        self.cache.update(zip(todo, profiles(texts, self.s.shingle_size), strict=True))

    def passes(self, jaccard: float, containment: float, small: int) -> bool:
        s = self.s
        return jaccard >= s.min_jaccard or (
            containment >= s.min_containment and small >= s.min_containment_shingles
        )

    def worth(self, rows: np.ndarray, cands: np.ndarray, equal: np.ndarray) -> np.ndarray:
        """Mask of the pairs worth verifying, from how many signature values they share.

        The estimates are those of the MinHash signatures; counts of a folding of
        them (see :func:`_fold`) can only be higher, so every pair the signatures
        pass is passed too.
        """
        s, b = self.s, self.b
        est_j = equal / b.sig.shape[1]
        est_c = estimate(est_j, b.shingles[rows], b.shingles[cands])
        small = np.minimum(b.shingles[rows], b.shingles[cands])
        return (est_j >= s.min_jaccard - s.verify_slack) | (
            (est_c >= s.min_containment - s.verify_slack) & (small >= s.min_containment_shingles)
        )

    def verify(self, a: int, c: int) -> tuple[bool, float, float]:
        pa, pc = self.profile(a), self.profile(c)
        j, cont = compare(pa, pc)
        return self.passes(j, cont, min(pa.size, pc.size)), j, cont


def deduplicate(
    docs: pd.DataFrame,
    signatures: np.ndarray,
    body_texts: Sequence[str],
    settings: DedupSettings,
    body_paragraphs: Iterable[Any] | None = None,
    map_bands: Callable[..., Any] | None = None,
    signatures_owned: bool = False,
) -> DedupOutcome:
    """Group the copies in a batch, choose each group's canonical original, explain each copy.

    Args:
        docs: one row per document: ``doc_id, source, domain, url, title,
            published_date`` ('YYYY-MM-DD' or None; ``published`` is used if absent),
            ``credited`` (from :func:`audit.dedup.credits.credited_syndication`) and the
            :data:`audit.dedup.prepare.BODY_COLUMNS` (computed from ``body_texts`` when
            absent; without ``body_paragraphs`` no template is found).
        signatures: ``len(docs) x num_perm`` MinHash values of the bodies.
        body_texts: the offset-preserving body texts (:func:`audit.dedup.prepare.body_texts`).
        settings: the dedup settings.
        body_paragraphs: the ``body_paragraphs`` column, one value per document in
            order, when it is not in ``docs`` (a streaming run reads it from disk).
        map_bands: an engine's ``map``, to sort the LSH bands there (see
            :class:`audit.dedup.lsh.BandIndex`); None sorts them here.
        signatures_owned: the caller lets go of ``signatures``: the rows of documents
            with template paragraphs are signed again in place rather than in a copy.

    Returns:
        The clusters, one finding per copy, the template paragraphs and counts.

    Example:
        >>> import pandas as pd
        >>> from audit.dedup.minhash import signatures
        >>> s = DedupSettings()
        >>> story = " ".join(f"word{i}" for i in range(60))
        >>> texts = [story, "Breaking: " + story, "something else entirely " * 5]
        >>> docs = pd.DataFrame({"doc_id": ["a", "b", "c"], "source": ["x", "y", "z"],
        ...                      "domain": [None, None, None],
        ...                      "published_date": ["2024-01-02", "2024-01-01", None]})
        >>> out = deduplicate(docs, signatures(texts, s), texts, s)
        >>> [(c.kind, c.canonical, c.members) for c in out.clusters]
        [('syndicated', 'b', ['b', 'a'])]
    """
    # the index and the evidence are millions of small acyclic objects: without this the
    # cyclic garbage collector rescans them all again and again
    paused = gc.isenabled()
    gc.disable()
    try:
        return _deduplicate(
            docs, signatures, body_texts, settings, body_paragraphs, map_bands, signatures_owned
        )
    finally:
        if paused:
            gc.enable()


def _deduplicate(
    docs: pd.DataFrame,
    signatures: np.ndarray,
    body_texts: Sequence[str],
    settings: DedupSettings,
    body_paragraphs: Iterable[Any] | None = None,
    map_bands: Callable[..., Any] | None = None,
    signatures_owned: bool = False,
) -> DedupOutcome:
    credits = load_credits(settings)
    b = _batch(docs, signatures, body_texts, settings, credits)
    b.own_sig = signatures_owned or b.sig is not signatures  # converted: a copy already
    n = len(b.ids)
    paragraphs = _column(docs, "body_paragraphs") if body_paragraphs is None else body_paragraphs
    template_paragraphs, template_groups = _apply_templates(b, paragraphs, settings)
    eligible = (b.shingles > 0) & ~np.asarray(is_empty(b.sig), dtype=bool)
    credited = _credited_counts(b)
    order = np.asarray(sorted(range(n), key=lambda r: _priority(b, credited, r)), dtype=np.int64)
    groups = _ExactGroups(order[eligible[order]], b.digests)
    reps = groups.reps.tolist()
    verifier = _Verifier(b, settings)
    stats: dict[str, Any] = {}
    outcome = DedupOutcome(templates=template_paragraphs)
    sizes: list[int] = []
    for seed, member_reps in _star_clusters(b, reps, verifier, settings, stats, map_bands):
        members = groups.members(member_reps)
        if len(members) < 2:
            continue
        canonical, reason = _canonical(b, seed, members, verifier)
        cluster, findings = _explain(b, canonical, reason, members, verifier, settings)
        outcome.clusters.append(cluster)
        outcome.findings += findings
        sizes.append(len(members))
    outcome.clusters.sort(key=lambda c: (-len(c.members), c.canonical))
    outcome.stats = {
        **stats,
        "documents": n,
        "compared": int(np.count_nonzero(eligible)),
        "exact_groups": groups.shared,
        "clusters": len(outcome.clusters),
        "clustered_documents": int(sum(sizes)),
        "largest_cluster": max(sizes, default=0),
        "cluster_sizes": _histogram(sizes),
        "template_texts": template_groups,
        "template_paragraphs": len(template_paragraphs),
    }
    return outcome


class _ExactGroups:
    """Rows with equal body digests, as arrays: in canonical order within a group, and
    the groups in the order of their first row (their representative)."""

    def __init__(self, ordered: np.ndarray, digests: np.ndarray) -> None:
        _, first, group = np.unique(digests[ordered], return_index=True, return_inverse=True)
        by_first = np.argsort(first, kind="stable")
        number = np.empty(len(first), dtype=np.int64)
        number[by_first] = np.arange(len(first))  # groups numbered by their first row
        gid = number[group.ravel()]
        within = np.argsort(gid, kind="stable")  # stable: canonical order within a group
        self.reps = ordered[first[by_first]]
        self._rows = ordered[within]
        self._bounds = np.searchsorted(gid[within], np.arange(len(first) + 1))
        self._number = np.full(len(digests), -1, dtype=np.int64)
        self._number[self.reps] = np.arange(len(self.reps))
        sizes = np.diff(self._bounds)
        self.shared = int(np.count_nonzero(sizes > 1))  # groups of two rows or more

    def members(self, reps: list[int]) -> list[int]:
        """The rows of the groups of ``reps``, group after group."""
        out: list[int] = []
        for g in self._number[reps].tolist():
            out += self._rows[self._bounds[g] : self._bounds[g + 1]].tolist()
        return out


_PAIR_BLOCK = 2_000_000  # bucket members expanded at a time when listing candidate pairs
_PREFILTER_BLOCK = 32_768  # pairs whose signatures are compared at a time
_WARM_REPS = 256  # representatives whose candidates' profiles are computed together
_UNCLAIMED = np.iinfo(np.int64).max


def _star_clusters(
    b: _Batch,
    reps: list[int],
    verifier: _Verifier,
    settings: DedupSettings,
    stats: dict[str, Any],
    map_bands: Callable[..., Any] | None = None,
) -> Iterator[tuple[int, list[int]]]:
    """Clusters of representatives, each verified against its first member (in ``reps`` order).

    Yields each cluster's first member with its members as soon as the cluster is
    complete (its members' profiles are still cached for the explanation), and
    counts in ``stats`` the candidates the LSH index returned, screened out,
    verified and rejected.

    Every representative before the current one is already in a cluster, so the
    candidates of the i-th are the later ones sharing a bucket with it and not yet
    claimed. The pairs, and their MinHash screening, which does not depend on what
    is claimed, are computed for blocks of representatives at a time with numpy;
    only the claiming is sequential.
    """
    lsh = BandIndex(reps, b.sig, settings, map_bands, rows=reps)
    stats |= {"lsh_bands": lsh.b, "lsh_rows": lsh.r, "candidates": 0, "estimated_out": 0}
    stats |= {"verified": 0, "rejected": 0}
    rows = np.asarray(reps, dtype=np.int64)
    count_equal = _EqualBytes(_fold(b.sig), _PREFILTER_BLOCK)
    # who claimed each representative: its own position once it starts a cluster, that
    # of the cluster's first member once it joins one, _UNCLAIMED before
    by = np.full(len(reps), _UNCLAIMED, dtype=np.int64)
    for start, stop in lsh.blocks(_PAIR_BLOCK):
        firsts, seconds = lsh.pairs(start, stop)
        worth = np.zeros(len(firsts), dtype=bool)
        for at in range(0, len(firsts), _PREFILTER_BLOCK):
            part = slice(at, at + _PREFILTER_BLOCK)
            a, c = rows[firsts[part]], rows[seconds[part]]
            # a quarter of the bytes first; the few pairs that pass are screened exactly
            rough = np.flatnonzero(verifier.worth(a, c, count_equal(a, c)))
            a, c = a[rough], c[rough]
            equal = np.count_nonzero(b.sig[a] == b.sig[c], axis=1)
            worth[at + rough] = verifier.worth(a, c, equal)
        # only the pairs worth verifying are walked one by one
        w_firsts, w_seconds = firsts[worth], seconds[worth]
        bounds = np.searchsorted(w_firsts, np.arange(start, stop + 1)).tolist()
        for i in range(start, stop):
            if (i - start) % _WARM_REPS == 0:  # profiles of the next pairs to verify, together
                a, z = bounds[i - start], bounds[min(i + _WARM_REPS, stop) - start]
                left = a + np.flatnonzero(
                    (by[w_seconds[a:z]] == _UNCLAIMED) & (by[w_firsts[a:z]] == _UNCLAIMED)
                )
                verifier.warm(
                    rows[sorted_unique(np.concatenate((w_firsts[left], w_seconds[left])))].tolist()
                )
            if by[i] != _UNCLAIMED:
                continue
            by[i] = i
            r = reps[i]
            members = [r]
            for p in w_seconds[bounds[i - start] : bounds[i - start + 1]].tolist():
                if by[p] != _UNCLAIMED:
                    continue
                c = reps[p]
                if verifier.verify(r, c)[0]:
                    by[p] = i
                    members.append(c)
                    stats["verified"] += 1
                else:
                    stats["rejected"] += 1
            yield r, members
        # a pair was offered if its first member started a cluster and its second was
        # not yet claimed then (claimed by that very member counts: it was offered)
        offered = (by[firsts] == firsts) & (by[seconds] >= firsts)
        stats["candidates"] += int(np.count_nonzero(offered))
        stats["estimated_out"] += int(np.count_nonzero(offered & ~worth))


def _fold(sig: np.ndarray) -> np.ndarray:
    """Each 32-bit MinHash value folded to 8 bits (its four bytes XORed): equal values
    give equal bytes, different ones the same byte one time in 256."""
    out = np.empty(sig.shape, dtype=np.uint8)
    for at in range(0, len(sig), 65_536):  # a block at a time: no full-size temporary
        x = sig[at : at + 65_536].astype(np.uint32, copy=True)
        x ^= x >> 16
        x ^= x >> 8
        out[at : at + 65_536] = x
    return out


class _EqualBytes:
    """How many bytes two rows of a ``uint8`` matrix have equal, for many pairs of rows.

    The rows are gathered into buffers made once (a fresh array per block costs more
    than the comparison), and the equal bytes are counted eight to a machine word.
    """

    _BYTES = np.uint64(0x00FF00FF00FF00FF)
    _LANES = np.uint64(0x0001000100010001)

    def __init__(self, matrix: np.ndarray, block: int) -> None:
        self.matrix = matrix
        width = matrix.shape[1]
        self.by_words = width % 8 == 0 and width < 2048  # 16-bit lanes cannot overflow
        self.left = np.empty((block, width), dtype=np.uint8)
        self.right = np.empty((block, width), dtype=np.uint8)
        self.equal = np.empty((block, width), dtype=bool)

    def __call__(self, a: np.ndarray, c: np.ndarray) -> np.ndarray:
        n = len(a)
        left, right, equal = self.left[:n], self.right[:n], self.equal[:n]
        np.take(self.matrix, a, axis=0, out=left, mode="clip")  # "raise" would copy
        np.take(self.matrix, c, axis=0, out=right, mode="clip")
        np.equal(left, right, out=equal)
        if not self.by_words:
            return np.count_nonzero(equal, axis=1)
        # the 0/1 bytes summed by word: eight byte-wide counts per pair, then added up
        lanes = equal.view(np.uint64).sum(axis=1, dtype=np.uint64)
        lanes = (lanes & self._BYTES) + ((lanes >> np.uint64(8)) & self._BYTES)
        return ((lanes * self._LANES) >> np.uint64(48)).astype(np.int64)


def _histogram(sizes: list[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in sorted(sizes):
        key = str(s) if s <= 5 else "6-10" if s <= 10 else "11-100" if s <= 100 else ">100"
        out[key] = out.get(key, 0) + 1
    return out


def _priority(b: _Batch, credited: dict[int, int], r: int) -> tuple[str, int, int, int, str, int]:
    """Canonical order: earliest published, most credited, crediting no one, longest, id."""
    return (
        b.dates[r],
        -credited.get(r, 0),
        1 if b.credited[r] else 0,
        -int(b.words[r]),
        b.ids[r],
        r,
    )


def _canonical(b: _Batch, seed: int, rows: list[int], v: _Verifier) -> tuple[int, str]:
    """The member that should be canonical, and why; ``seed`` unless the switch verifies."""
    credited = _credited_counts(b, rows)
    ranked = sorted(rows, key=lambda r: _priority(b, credited, r))
    best = ranked[0]
    if best != seed and b.digests[best] != b.digests[seed]:
        for r in rows:
            if r != best and b.digests[r] != b.digests[best] and not v.verify(best, r)[0]:
                best = seed
                break
    if best != ranked[0]:
        return best, "the first in canonical order that every other member verifies against"
    mine = _priority(b, credited, best)
    runner = _priority(b, credited, ranked[1])
    if mine[0] != runner[0]:
        return best, f"earliest published ({b.dates[best]})"
    if mine[1] != runner[1]:
        return best, f"its origin is credited by {credited[best]} other member(s)"
    if mine[2] != runner[2]:
        return best, "credits no other origin"
    if mine[3] != runner[3]:
        return best, f"longest body ({int(b.words[best])} words)"
    return best, "first by document id"


def _body_span(text: str) -> list[int]:
    stripped = text.lstrip()
    start = len(text) - len(stripped)
    return [start, len(text.rstrip())]


def _explain(
    b: _Batch,
    canonical: int,
    reason: str,
    rows: list[int],
    v: _Verifier,
    settings: DedupSettings,
) -> tuple[Cluster, list[Finding]]:
    members = [canonical, *sorted((r for r in rows if r != canonical), key=lambda r: b.ids[r])]
    others = np.asarray(members[1:], dtype=np.int64)
    est_j = (b.sig[others] == b.sig[canonical]).mean(axis=1)
    est_c = estimate(est_j, b.shingles[canonical], b.shingles[others])
    same_body = [r for r in members if b.digests[r] == b.digests[canonical]]
    outlets = {b.outlets[r] for r in members}
    kind = (
        "exact" if len(same_body) == len(members) else "syndicated" if len(outlets) > 1 else "near"
    )
    cluster_id = "dup-" + hashlib.blake2b(b.ids[canonical].encode(), digest_size=5).hexdigest()
    canonical_span = _body_span(b.texts[canonical])
    scores: dict[int, tuple[float, float]] = {}
    pairs: list[Pair] = []
    findings: list[Finding] = []
    for i, r in enumerate(members[1:]):
        exact = b.digests[r] == b.digests[canonical]
        passages: list[dict[str, Any]]
        if exact:
            j, cont = 1.0, 1.0
            passages = [
                {
                    "doc": _body_span(b.texts[r]),
                    "canonical": canonical_span,
                    "words": int(b.words[r]),
                }
            ]
        else:
            digest = int(b.digests[r])
            if digest not in scores:
                scores[digest] = v.verify(canonical, r)[1:]
            j, cont = scores[digest]
            passages = shared_passages(v.profile(r), v.profile(canonical), settings.max_passages)
        if exact:
            check, severity, relation = (
                Check.EXACT_DUPLICATE,
                settings.exact_severity,
                "exact copy",
            )
        elif b.outlets[r] == b.outlets[canonical]:
            check, severity, relation = Check.NEAR_DUPLICATE, settings.near_severity, "near copy"
        else:
            check, severity, relation = (
                Check.SYNDICATED_COPY,
                settings.syndicated_severity,
                "syndicated copy",
            )
        longest = max((p["words"] for p in passages), default=0)
        message = f"{relation} of {b.ids[canonical]}"
        if check == Check.SYNDICATED_COPY and b.outlets[canonical]:
            message += f" from {b.outlets[canonical]}"
        if not exact:
            message += (
                f" (Jaccard {j:.2f}, containment {cont:.2f}; {len(passages)} shared "
                f"passage{'s' if len(passages) != 1 else ''}, longest {longest} words)"
            )
        evidence: dict[str, Any] = {
            "cluster": cluster_id,
            "canonical": b.ids[canonical],
            "canonical_reason": reason,
            "cluster_size": len(members),
            "jaccard": round(float(j), 4),
            "containment": round(float(cont), 4),
            "jaccard_estimate": round(float(est_j[i]), 4),
            "containment_estimate": round(float(est_c[i]), 4),
            "shared_passages": passages,
            "source": b.outlets[r],
            "canonical_source": b.outlets[canonical],
            "published": None if b.dates[r] == _NO_DATE else b.dates[r],
            "canonical_published": None if b.dates[canonical] == _NO_DATE else b.dates[canonical],
        }
        findings.append(Finding(b.ids[r], check.value, Severity(severity), message, evidence))
        pairs.append(Pair(b.ids[canonical], b.ids[r], float(j), float(cont), passages))
    cluster = Cluster(cluster_id, kind, b.ids[canonical], [b.ids[m] for m in members], pairs)
    return cluster, findings

"""The ICD-10-CM code set, offline, searched at every keystroke.

The public-domain CMS code set ships with ``simple-icd-10-cm``. An index is built once per process
(about a second, off the UI thread): billable codes in code order, and each description word in a
sorted vocabulary pointing at the codes that use it. A query is then a binary search per typed word
(prefixes match: "gen anx" finds "Generalized anxiety disorder") and a set intersection — no scan of
the 74,000 descriptions per keystroke (``benchmarks/bench_icd10_search.py``).
"""

from __future__ import annotations

import bisect
import gzip
import os
import re
import threading
import warnings
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import platformdirs

_WORD = re.compile(r"[a-z0-9]+")
_CODE = re.compile(r"^[a-tv-z][0-9][0-9a-z]?(\.[0-9a-z]{0,4})?$", re.IGNORECASE)
# Mental, behavioural and neurodevelopmental disorders (F) and the Z codes a practice uses most rank first.
_PREFERRED = ("F", "Z", "R45", "T14.91", "X71", "R41")
# Abbreviations clinicians type that the official descriptions spell out.
ABBREVIATIONS = {
    "ptsd": "post traumatic stress", "adhd": "attention deficit hyperactivity", "gad": "generalized anxiety",
    "mdd": "major depressive", "ocd": "obsessive compulsive", "bpd": "borderline personality",
    "aud": "alcohol", "oud": "opioid", "asd": "autistic",
}


@dataclass(frozen=True)
class IcdCode:
    code: str  # with the dot: F41.1
    description: str


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class IcdIndex:
    """An in-memory index of billable ICD-10-CM codes; build with :func:`icd_index`."""

    def __init__(self, codes: list[IcdCode]) -> None:
        def rank(c: IcdCode) -> tuple[int, str]:
            return (0 if c.code.startswith(_PREFERRED) else 1, c.code)

        self.codes = sorted(codes, key=rank)
        self._by_code = {c.code: c for c in self.codes}
        self._code_keys = sorted((c.code.replace(".", ""), i) for i, c in enumerate(self.codes))
        postings: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(self.codes):
            for w in set(_words(c.description)):
                postings[w].append(i)
        self._vocab = sorted(postings)
        self._postings = [postings[w] for w in self._vocab]

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code: str) -> IcdCode | None:
        """A billable code, as typed with or without its dot."""
        code = code.strip().upper()
        if "." not in code and len(code) > 3:
            code = code[:3] + "." + code[3:]
        return self._by_code.get(code)

    def _prefix_ids(self, token: str) -> set[int]:
        lo = bisect.bisect_left(self._vocab, token)
        hi = bisect.bisect_left(self._vocab, token + "\uffff")
        out: set[int] = set()
        for postings in self._postings[lo:hi]:
            out.update(postings)
        return out

    def search(self, query: str, *, limit: int = 50) -> list[IcdCode]:
        """Codes whose code starts with the query, or whose description has words starting with each typed word."""
        q = query.strip()
        if not q:
            return []
        if _CODE.match(q):
            key = q.upper().replace(".", "")
            lo = bisect.bisect_left(self._code_keys, (key, -1))
            hits: list[int] = []
            for k, i in self._code_keys[lo:]:
                if not k.startswith(key) or len(hits) >= limit:
                    break
                hits.append(i)
            if hits:
                return [self.codes[i] for i in sorted(hits)]
        words = [w for t in _words(q) for w in (ABBREVIATIONS[t].split() if t in ABBREVIATIONS else [t])]
        tokens = sorted(set(words), key=len, reverse=True)  # the longest word narrows most
        if not tokens:
            return []
        ids = self._prefix_ids(tokens[0])
        for t in tokens[1:]:
            if not ids:
                break
            ids &= self._prefix_ids(t)
        return [self.codes[i] for i in sorted(ids)[:limit]]


_lock = threading.Lock()
_index: IcdIndex | None = None


_CODE_KEY = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")  # a category or code, not a chapter or a block


def load_codes(cache_dir: Path | None = None) -> list[IcdCode]:
    """Billable codes of the bundled CMS code set: those no other code extends (leaves).

    Importing ``simple_icd_10_cm`` parses its whole data set (seconds), so the billable codes are
    kept in a small cache file per package version (public-domain data, no client information), and
    read from there after the first time.
    """
    folder = cache_dir or Path(platformdirs.user_cache_dir("MentalSpace", "MentalSpace"))
    cache = folder / f"icd10cm-{metadata.version('simple-icd-10-cm')}.tsv.gz"
    try:
        with gzip.open(cache, "rt", encoding="utf-8") as handle:
            return [IcdCode(*line.rstrip("\n").split("\t", 1)) for line in handle]
    except (OSError, EOFError, TypeError):
        pass  # not there yet, or damaged: build it again
    codes = _codes_from_package()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        with gzip.open(partial, "wt", encoding="utf-8") as handle:
            handle.writelines(f"{c.code}\t{c.description}\n" for c in codes)
        os.replace(partial, cache)
    except OSError:
        pass  # a read-only cache folder only costs the next start the same seconds
    return codes


def _codes_from_package() -> list[IcdCode]:
    with warnings.catch_warnings():
        # the package reads its data with importlib.resources.read_text, deprecated since Python 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm
    # Leaves computed in one pass marking every code's prefixes (the package's is_leaf per code is slow).
    keys = [c for c in cm.get_all_codes(with_dots=False) if _CODE_KEY.match(c)]
    extended = {k[:n] for k in keys for n in range(3, len(k))}
    dotted = (k if len(k) == 3 else f"{k[:3]}.{k[3:]}" for k in keys if k not in extended)
    return [IcdCode(code, cm.get_description(code)) for code in dotted]


def icd_index() -> IcdIndex:
    """The process's index, built on first use (call it from a worker thread at start-up)."""
    global _index
    with _lock:
        if _index is None:
            _index = IcdIndex(load_codes())
        return _index

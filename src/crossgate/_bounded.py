"""``BoundedCache``: what the adapters remember per URL, with memory that stays flat.

The paths, hosts and methods of requests are the clients' to choose: every cache keyed by them
(where a preflight's URL led, which ``resources`` rule covers a path, which methods a path
serves) keeps a bounded number of entries, forgetting the oldest first.
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A dictionary that keeps at most *size* entries, forgetting the oldest first, so memory
    stays flat whatever stream of distinct keys arrives. Safe under the GIL: a lost race only
    costs a second computation."""

    __slots__ = ("_entries", "_size", "get")

    def __init__(self, size: int) -> None:
        self._entries: dict[K, V] = {}
        self._size = size
        #: ``get(key, default)``: the dictionary's own, so a hit costs no Python call.
        self.get = self._entries.get

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __getitem__(self, key: K) -> V:
        return self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: K, value: V) -> None:
        """Keep *value* for *key*, forgetting the oldest entry when full."""
        entries = self._entries
        if len(entries) >= self._size and key not in entries:
            try:
                del entries[next(iter(entries))]
            except (StopIteration, KeyError, RuntimeError):
                entries.clear()  # another thread changed it meanwhile: start afresh
        entries[key] = value

    def clear(self) -> None:
        """Forget every entry (what they were computed from has changed)."""
        self._entries.clear()

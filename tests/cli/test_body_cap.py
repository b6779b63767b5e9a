"""``read_capped`` against any chunking of the wire: what it keeps is the first *limit* bytes of
the body as :mod:`gzip` and :mod:`zlib` decode it whole, and it says it cut exactly when the
body is longer than that."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from crossgate.cli._shared import read_capped

ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda body: body,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": lambda body: body,  # not asked for: kept as sent
}
# Bodies that compress well and badly, so a chunk may inflate past the limit or not.
BODIES = st.binary(max_size=600) | st.builds(
    lambda piece, times: piece * times, st.binary(min_size=1, max_size=8), st.integers(0, 400)
)


def chunked(wire: bytes, cuts: list[int]) -> list[bytes]:
    """*wire* split at the positions *cuts* (empty chunks included)."""
    points = sorted(cut % (len(wire) + 1) for cut in cuts)
    return [wire[start:end] for start, end in zip([0, *points], [*points, len(wire)], strict=True)]


@given(
    body=BODIES,
    encoding=st.sampled_from(sorted(ENCODERS)),
    spelling=st.sampled_from([str, str.upper, " {} ".format]),  # header as sent
    limit=st.integers(1, 700),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_the_body_kept_is_the_decoded_prefix_whatever_the_chunks(
    body: bytes, encoding: str, spelling: Callable[[str], str], limit: int, cuts: list[int]
) -> None:
    wire = ENCODERS[encoding](body)
    kept, cut = read_capped(chunked(wire, cuts), spelling(encoding), limit)
    assert kept == body[:limit]
    assert cut == (len(body) > limit)

"""The whole Public Suffix List, and the registrable domain of a host.

A pattern like ``https://*.github.io`` would trust every GitHub Pages site, and a regex that
lets a host move into another registrable domain lets in a stranger; both judgements need to
know where one party's names end. That is what the Public Suffix List says, in full: its ICANN
and private sections, wildcard rules (``*.kawasaki.jp``) and exception rules
(``!city.kawasaki.jp``), read with the list's own algorithm (the prevailing rule is an exception
if one matches, else the longest; the implicit rule is ``*``).

The list is the copy the ``publicsuffixlist`` package ships (it publishes a release whenever the
list changes, with the list's date in its version; ``pip install -U publicsuffixlist`` brings the
newest). It is read once, on first use, so ``import crossgate`` does not pay for it.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.resources

LIST_VERSION_PREFIX = "// VERSION: "


def _list_file() -> importlib.abc.Traversable:
    """The list the ``publicsuffixlist`` package ships (imported only when first needed)."""
    return importlib.resources.files("publicsuffixlist").joinpath("public_suffix_list.dat")


# A node of the rules, read from the right: its child labels ("*" for a wildcard rule), and
# the marks _RULE (a rule ends here) and _EXCEPTION (an exception rule does), which no label is.
_Node = dict[str, "_Node"]
_RULE = ""
_EXCEPTION = "!"


def _ascii(label: str) -> str:
    """*label* as it appears in a host: punycode for a non-ASCII label (the list writes those
    in Unicode, already normalised)."""
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


@functools.cache
def _load() -> _Node:
    text = _list_file().read_text(encoding="utf-8")
    root: _Node = {}
    for line in text.splitlines():
        if not line or line.startswith("//"):
            continue
        rule = line.split()[0]
        node = root
        for label in reversed(rule.removeprefix("!").split(".")):
            node = node.setdefault(_ascii(label), {})
        node[_RULE] = {}
        if rule.startswith("!"):
            node[_EXCEPTION] = {}
    return root


def list_version() -> str:
    """The date of the Public Suffix List in use, as the list states it (read from its first
    lines only: ``crossgate --version`` does not pay for the whole list)."""
    with _list_file().open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith(LIST_VERSION_PREFIX):
                return line.removeprefix(LIST_VERSION_PREFIX).strip()
            if line.strip() and not line.startswith("//"):
                break
    return "unknown"


def suffix_length(labels: tuple[str, ...], *, complete: bool) -> int | None:
    """How many labels of a host are its public suffix, given its last *labels* read from the
    right (``("com", "example")`` for ``...example.com``). With ``complete=False`` more labels
    may come to the left: ``None`` when they could still change the answer."""
    matches: list[tuple[_Node, int]] = []
    frontier = [_load()]
    for depth, label in enumerate(labels, start=1):
        frontier = [
            child
            for node in frontier
            for child in (node.get(label), node.get("*"))
            if child is not None
        ]
        matches += [(node, depth) for node in frontier if _RULE in node]
    if not complete and any(set(node) - {_RULE, _EXCEPTION} for node in frontier):
        return None
    exceptions = [depth for node, depth in matches if _EXCEPTION in node]
    if exceptions:
        return max(exceptions) - 1
    return max((depth for _, depth in matches), default=1)


def registrable_domain(host: str) -> str:
    """The part of a DNS *host* that one party registers: ``example.com`` for
    ``app.example.com``, ``example.co.uk`` for ``www.example.co.uk``, ``me.github.io`` for
    ``a.me.github.io`` (every name under a public suffix belongs to someone else). A host that
    is itself a public suffix is its own answer."""
    labels = tuple(reversed(host.lower().split(".")))
    size = suffix_length(labels, complete=True)
    assert size is not None  # a complete host always has an answer
    return ".".join(reversed(labels[: size + 1]))


def is_listed_rule(name: str) -> bool:
    """Whether *name* is itself written in the list as a rule (``co.uk``, ``github.io``), not
    only covered by a wildcard (``x.kawasaki.jp``, and ``*.compute.amazonaws.com`` hosts,
    each of which some customer holds)."""
    node = _load()
    for label in reversed(name.lower().split(".")):
        found = node.get(label)
        if found is None:
            return False
        node = found
    return _RULE in node and _EXCEPTION not in node


def is_listed_tld(label: str) -> bool:
    """Whether *label* is a top-level domain the list names (``com``, not ``comx``)."""
    return label in _load()


def is_public_suffix(name: str) -> bool:
    """Whether every name directly under *name* belongs to a different party (``com``,
    ``co.uk``, ``github.io``, ``x.kawasaki.jp``; not ``city.kawasaki.jp``)."""
    labels = tuple(reversed(name.lower().split(".")))
    return suffix_length((*labels, "x"), complete=True) == len(labels)

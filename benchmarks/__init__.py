"""Per-request cost of crossgate, against bare Flask, a hand-written ``after_request``, flask-cors.

Run ``make bench`` (``python -m benchmarks.run``; ``--quick`` for a short run). It regenerates
``docs/benchmarks.md`` and ``docs/benchmarks.png``.

- ``variants``: the apps compared, the request kinds, and what a correct answer to each is;
- ``measure``: the in-process timing loop and the memory probe;
- ``report``: statistics, targets, the Markdown page and the chart;
- ``run``: the command line.
"""

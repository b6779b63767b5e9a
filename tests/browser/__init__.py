"""Browser tests: crossgate's answers checked by real Chromium and by the browser model."""

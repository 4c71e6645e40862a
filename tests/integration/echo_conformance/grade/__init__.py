"""Grading a class: every submission built and judged by the suite in a
sandbox of its own, with per-clause points and reports (docs/grading.md)."""

"""The conformance suite's tests, one module per area of SPEC.md."""

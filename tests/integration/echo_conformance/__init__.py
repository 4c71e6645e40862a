"""Support code for the conformance suite: the spec's clauses, /proc probing,
process control, sockets, fake servers, and the clause report."""

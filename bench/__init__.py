"""OpsGraph's load benchmark: a deterministic ITSM data set, the real server under load over
HTTP, and a hand-written Python "floor" serving the same page, side by side.

Run `python -m bench --help`. Figures are printed and written as JSON under bench/results/;
they are measurements, never assertions (tests only check that the bench runs)."""

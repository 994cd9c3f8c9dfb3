"""`make bench`: every `bench/bench_*.py` module's `main()` runs in turn and prints its figures.

Each benchmark measures its target against a baseline taken in the same run (these machines
are small and noisy), prints figures and ratios, and says PASS or MISS per target.
"""

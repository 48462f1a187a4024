"""wagate's benchmarks (`python -m bench NAME`); never part of `make test`. See bench/README.md."""

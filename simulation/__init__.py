"""Simulated registries in the interchange format: the Hà Nội demo, the national synthetic set and
the worlds the recommendations are evaluated on. Kept out of the domain package: nothing the
service decides depends on them; ``load_demo``, ``generate_dataset``, the evaluation and the
benchmarks read them."""

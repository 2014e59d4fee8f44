"""Benchmarks of the companion: from-scratch code against the Keras equivalents.

Each ``benchmarks/bench_<topic>.py`` module defines ``BENCHMARKS``, a list of
:class:`benchmarks.core.Benchmark`. Run them with ``python -m benchmarks``.
"""

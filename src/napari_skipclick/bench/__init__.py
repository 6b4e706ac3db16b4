"""Benchmarks behind the ``skipclick bench*`` subcommands."""

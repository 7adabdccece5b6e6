"""OR-Library and CVRPLIB instance readers for the benchmarks and tests; not part of the package."""

"""Chapter 1's checks (notebooks/01_chunk_generators.ipynb): one module per exercise, named for its function."""

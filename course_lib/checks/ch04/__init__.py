"""Chapter 4's checks (notebooks/04_gotchas.ipynb): one module per exercise, named for its function."""

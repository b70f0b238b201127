"""Chapter 3's checks (notebooks/03_range_requests.ipynb): one module per exercise, named for its function."""

"""Chapter 2's checks (notebooks/02_streaming_response.ipynb): one module per exercise, named for its function."""

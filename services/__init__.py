"""The application layer: what every entry point (CLI, API, stream workers, demo) calls."""

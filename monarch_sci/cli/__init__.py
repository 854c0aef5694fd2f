"""The `monarch-sci` command: thin wrappers over library functions."""

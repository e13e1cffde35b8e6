"""The `leadloop` command line: one module per command group, Rich output."""

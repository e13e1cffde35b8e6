"""Pure domain logic: standard library and ``leadloop.errors`` only."""

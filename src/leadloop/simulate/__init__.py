"""The demo simulator: a seeded, realistic B2B world to run every capability on."""

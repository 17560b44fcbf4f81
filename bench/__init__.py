"""`make bench`: speed figures, measured against the sandbox with Xero's limits on."""

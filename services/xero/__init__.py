"""Everything that talks to Xero. `adapter` is the only module that imports `xero_python`."""

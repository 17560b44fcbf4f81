"""``python -m xero_sandbox``."""

from xero_sandbox.server import main

main()

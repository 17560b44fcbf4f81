"""A local, stateful stand-in for Xero's Accounting API and OAuth 2.0 identity service.

See ``xero_sandbox/README.md``. Entry points: :func:`xero_sandbox.app.create_app`,
:func:`xero_sandbox.server.main` and :mod:`xero_sandbox.testing`.
"""

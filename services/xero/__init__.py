"""Everything that talks to Xero. Only modules of this package import `xero_python`:
`adapter` (calls, tokens, errors) and `convert` (documents to SDK models and back)."""

"""The one base class for errors whose message is written for the user."""

from __future__ import annotations


class UserError(Exception):
    """A message written for the user: what happened and what to do.

    Pages show it as it is. Any other exception is a bug: pages log it with its traceback
    and show an apology with a reference instead of its text.
    """

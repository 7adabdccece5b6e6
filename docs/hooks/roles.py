"""Griffe extension: the Sphinx roles of lockerplan's docstrings as code.

Docstrings name other objects the way Sphinx and numpydoc read them
(``:func:`solve_mclp```, ``:class:`~lockerplan.siting.SiteRules```); the API
reference shows each as the name in code (``solve_mclp``, ``SiteRules``: a
leading ``~`` keeps the last part only), not as the raw role.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")


def _code(match: re.Match) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def plain(text: str) -> str:
    """Sphinx roles in ``text`` as code spans."""
    return _ROLE.sub(_code, text)


class SphinxRoles(griffe.Extension):
    """Rewrites each docstring's roles when the object is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)

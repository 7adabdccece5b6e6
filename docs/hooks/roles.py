"""Griffe extension: the Sphinx roles of lockerplan's docstrings as code.

Docstrings name other objects the way Sphinx and numpydoc read them
(``:func:`solve_mclp```, ``:class:`~lockerplan.siting.SiteRules```); the API
reference shows each as the name in code (:func:`lockerplan.reference.plain_roles`),
not as the raw role.
"""

from __future__ import annotations

from typing import Any

import griffe

from lockerplan.reference import plain_roles


class SphinxRoles(griffe.Extension):
    """Rewrites each docstring's roles when the object is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(obj.docstring.value)

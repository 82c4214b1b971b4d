"""Imports a module nobody ships: the import error verify must show."""

import pub_broken_no_such_module  # noqa: F401

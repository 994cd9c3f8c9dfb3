"""Imports every `contactcenter.<area>.models` module once so Base.metadata knows all tables
(Alembic autogenerate, tests). New areas are found automatically: no list to edit."""
import importlib
import pkgutil

import contactcenter
from contactcenter.db import Base

for _info in pkgutil.iter_modules(contactcenter.__path__):
    if _info.ispkg:
        try:
            importlib.import_module(f"contactcenter.{_info.name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"contactcenter.{_info.name}.models":
                raise

__all__ = ["Base"]

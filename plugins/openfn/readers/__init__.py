"""Project files -> the typed model (openfn.model). Every later step trusts what this package returns."""

from openfn.readers.loader import LoadReport, load_project, load_projects

__all__ = ["LoadReport", "load_project", "load_projects"]

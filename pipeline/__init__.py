"""survnews: turn news reporting on digital surveillance into a research dataset."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("survnews")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]

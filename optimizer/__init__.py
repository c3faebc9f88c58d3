"""Consortium budget optimizer: who runs which shared R&D workstream, on what, and who adopts it."""
from .api import solve
from .errors import InputError, Problem
from .instance import Instance, load_instance
from .results import Result

__version__ = "0.1.0"

__all__ = ["Instance", "InputError", "Problem", "Result", "load_instance", "solve", "__version__"]

"""Consortium budget optimizer: who runs which shared R&D workstream, on what, and who adopts it."""
from .api import compare, solve, solve_designs
from .errors import InputError, Problem
from .execution import Executor
from .instance import Instance, load_instance
from .results import Result

__version__ = "0.1.0"

__all__ = ["Executor", "Instance", "InputError", "Problem", "Result", "compare", "load_instance", "solve",
           "solve_designs", "__version__"]

"""The pandas views of every typed result: one rule for index, dtypes and reprs (docs/api.md).

* Every DataFrame has a named index: the ids its rows are about (``member``, ``design``,
  ``(method, member)``, ...); ``reset_index()`` turns them back into columns.
* dtypes by what a column holds: figures ``float64`` (missing: NaN), counts ``Int64`` (nullable
  integers), flags ``boolean`` (nullable), ids and other text ``string`` (pandas' StringDtype,
  missing: ``<NA>``), whatever the pandas version.
* Column names are the JSON keys of the typed result; their units are in docs/api.md.
"""
from __future__ import annotations

import enum
import types
import typing
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from pydantic import BaseModel

if TYPE_CHECKING:  # imported by the functions that make a table: a solve never needs pandas
    import pandas as pd

FIGURE, COUNT, FLAG, TEXT = "float64", "Int64", "boolean", "string"
REPR_WIDTH = 40  # characters of a name shown in a one-line repr


def kind_of(annotation: Any) -> str:
    """The dtype of a pydantic field's annotation: float -> float64, int -> Int64, bool -> boolean,
    anything else (str, enums, lists of ids written "a; b") -> string."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation is bool:
        return FLAG
    if annotation is int:
        return COUNT
    if annotation is float:
        return FIGURE
    return TEXT


def kinds_of(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> dtype of every field of a record class."""
    return {name: kind_of(f.annotation) for name, f in model.model_fields.items()}


def typed(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with every column of ``kinds`` in its dtype (others left alone)."""
    cast = {}
    for column, kind in kinds.items():
        if column in frame.columns:
            if kind == TEXT:  # enums by their value; None and NaN become <NA>
                frame[column] = frame[column].map(lambda v: v.value if isinstance(v, enum.Enum) else v,
                                                  na_action="ignore")
            cast[column] = kind
    return frame.astype(cast)


def table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], kinds: Mapping[str, str],
          index: str | Sequence[str]) -> pd.DataFrame:
    """Records as a typed DataFrame with these columns, indexed by ``index`` (one or more columns)."""
    import pandas as pd
    frame = typed(pd.DataFrame(list(rows), columns=list(columns)), kinds)
    return frame.set_index(index if isinstance(index, str) else list(index))


def short(text: str, width: int = REPR_WIDTH) -> str:
    """A name for a one-line repr: at most ``width`` characters."""
    return text if len(text) <= width else text[:width - 1] + "…"

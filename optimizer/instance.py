"""Loading an instance: file or mapping -> validated :class:`Instance` with its designs."""
from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .cross_references import did_you_mean
from .errors import InputError, Problem, UsageError
from .formatting import noun
from .scaling import MAX_RANGE, range_problems
from .schema import BUILTIN_DESIGNS, Design, InstanceFile
from .tables import derive
from .validate import deep_merge, price_warnings, validate_document
from .yamlsource import SourceMap, parse_yaml, read_text


@dataclass(frozen=True, repr=False)
class Instance:
    """A validated instance file together with every design it defines.

    ``spec`` is the instance as written; ``variants[name]`` is the instance a design
    sees after its ``overrides`` were merged in (the same object when it has none).
    ``warnings``: what looks wrong but is not an error (a price that looks like one per
    accelerator-hour, :func:`optimizer.validate.price_warnings`), positioned like problems.
    """

    spec: InstanceFile
    source: str
    content_hash: str
    variants: dict[str, InstanceFile] = field(repr=False, default_factory=dict)
    warnings: tuple[Problem, ...] = field(repr=False, default=())

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def slug(self) -> str:
        """Short id for file names: the file's stem, or the instance name for mappings."""
        stem = Path(self.source).stem if self.source not in ("<mapping>", "<string>") else self.spec.name
        return slugify(stem)

    @property
    def design_names(self) -> list[str]:
        return list(BUILTIN_DESIGNS) + list(self.spec.designs)

    def design(self, name: str) -> tuple[InstanceFile, Design]:
        """The (instance variant, design settings) a named design solves."""
        if name in BUILTIN_DESIGNS:
            return self.spec, BUILTIN_DESIGNS[name]
        if name not in self.spec.designs:
            raise UsageError(self.unknown_design(name))
        return self.variants.get(name, self.spec), self.spec.designs[name]

    def unknown_design(self, name: str) -> str:
        """What to tell someone who asked for a design this instance does not have: its file (no
        line: the name came from the command line or a call), a near miss, and every design."""
        hint = did_you_mean(name, self.design_names)
        hint = hint if hint.startswith(" (did you mean") else ""
        where = "" if self.source in ("<mapping>", "<string>") else f"{self.source}: "
        return f"{where}unknown design {name!r}{hint}; its designs are: {', '.join(self.design_names)}"

    def __repr__(self) -> str:
        s = self.spec
        name = s.name if len(s.name) <= 40 else s.name[:39] + "…"
        return (f"Instance({name!r}, members={len(s.members)}, workstreams={len(s.workstreams)}, "
                f"designs={len(self.design_names)}, source={Path(self.source).name!r}, hash={self.content_hash[:12]!r})")

    def summary(self) -> str:
        s = self.spec
        fleets = sum(1 for m in s.members.values() if m.fleet is not None)
        needs = sum(len(m.needs) for m in s.members.values())
        n, w, h = len(s.members), len(s.workstreams), len(s.accelerators)
        return (f"{s.name}: {n} {noun(n, 'member')} ({fleets} with {noun(fleets, 'a fleet', 'fleets')}, "
                f"{n - fleets} renting), {w} {noun(w, 'workstream')}, "
                f"{h} accelerator {noun(h, 'type')}, {needs} {noun(needs, 'need')}, "
                f"designs: {', '.join(self.design_names)}")


def slugify(text: str) -> str:
    """'Open MoE consortium (11 labs, H1)' -> 'open-moe-consortium-11-labs-h1'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "report"


def _hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _build(data: dict, source: SourceMap, origin: str, content_hash: str) -> Instance:
    problems = validate_document(data, source)
    if problems:
        raise InputError(problems)
    spec = InstanceFile.model_validate(data)
    base = {k: v for k, v in data.items() if k != "designs"}
    variants = {
        name: InstanceFile.model_validate(deep_merge(base, d.overrides))
        for name, d in spec.designs.items() if d.overrides
    }
    inst = Instance(spec=spec, source=origin, content_hash=content_hash, variants=variants,
                    warnings=tuple(price_warnings(spec, source)))
    problems = magnitude_problems(inst, source)
    if problems:
        raise InputError(problems)
    return inst


def magnitude_problems(inst: Instance, source: SourceMap) -> list[Problem]:
    """Numbers no choice of units can put into one model (:func:`optimizer.scaling.range_problems`),
    located at the figures the user wrote (one problem per figure)."""
    out: dict[tuple[int, int], Problem] = {}
    for name in inst.design_names:
        spec, settings = inst.design(name)
        for kind, big, big_value, small, small_value in range_problems(derive(spec, settings, name)):
            where = f" (design {name!r})" if spec is not inst.spec else ""
            at = _written_at(spec, big)
            if not math.isfinite(big_value):
                message = f"{_figure(spec, big)} overflows (it is too large to compute with){where}"
            else:
                line = source.locate(_written_at(spec, small))[0]
                unit = spec.units.compute if kind == "compute" else spec.units.money
                message = (f"{_figure(spec, big)} is {big_value:.6g} but {_figure(spec, small)} (line {line}) is "
                           f"{small_value:.6g}{where}: {kind} figures more than {MAX_RANGE:.0e} apart cannot "
                           f"share one unit within the solver's precision; check that both are in {unit}")
            out.setdefault(source.locate(at), source.problem(at, message))
    return sorted(out.values())


def _written_at(spec: InstanceFile, key: tuple) -> tuple:
    """The key path of the number behind a ModelData entry ('compute'|'cost', i, w) or ('budget', i)."""
    if key[0] == "budget":
        return ("members", key[1], "budget")
    kind, i, w = key
    estimate = spec.members[i].estimates.get(w)
    if estimate is not None and getattr(estimate, kind) is not None:
        return ("members", i, "estimates", w, kind)
    if estimate is not None and estimate.compute is not None:
        return ("members", i, "estimates", w, "compute")
    return ("workstreams", w, "compute")


def _figure(spec: InstanceFile, key: tuple) -> str:
    if key[0] == "budget":
        return f"{key[1]}'s budget"
    kind, i, w = key
    if kind == "cost":
        return f"what {w} costs {i} (compute x price)"
    return f"{w}'s compute" if _written_at(spec, key)[0] == "workstreams" else f"{i}'s estimate of {w}'s compute"


def from_document(data: Any, source: SourceMap, origin: str) -> Instance:
    """A document read by other means than YAML (a workbook) validated, its problems located by
    ``source``; the content hash is that of the mapping."""
    return _build(data, source, origin, _hash(json.dumps(data, sort_keys=True, default=str)))


def parse_instance(text: str, file: str = "<string>") -> Instance:
    data, source = parse_yaml(text, file)
    return _build(data, source, file, _hash(text))


def load_instance(path_or_mapping: str | os.PathLike | Mapping[str, Any] | Instance) -> Instance:
    """Read and validate an instance from a YAML file path or an in-memory mapping.

    Raises :class:`~optimizer.errors.InputError` listing every problem found.
    """
    if isinstance(path_or_mapping, Instance):
        return path_or_mapping
    if isinstance(path_or_mapping, Mapping):
        data = copy.deepcopy(dict(path_or_mapping))  # detached: later edits do not leak in
        try:
            text = json.dumps(data, sort_keys=True, default=str)
        except TypeError:  # mixed key types; validation will reject them anyway
            text = repr(data)
        return _build(data, SourceMap("<mapping>"), "<mapping>", _hash(text))
    path = Path(path_or_mapping)
    return parse_instance(read_text(path), str(path))

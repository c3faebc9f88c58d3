"""Instance mappings as YAML that :mod:`optimizer.yamlsource` reads back to the same values.

PyYAML's dumper quotes a string only when YAML 1.1 would read it as something else; the project
reads YAML 1.2 numbers (``1e3`` is a float there, a string in 1.1), so a string is quoted whenever
our loader would resolve it to another type.
"""
from __future__ import annotations

from typing import Any

import yaml

from ..yamlsource import Loader

_STR = "tag:yaml.org,2002:str"


class _Resolver(yaml.resolver.BaseResolver):
    yaml_implicit_resolvers = Loader.yaml_implicit_resolvers  # how the project reads plain scalars


_READS = _Resolver()


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    plain = _READS.resolve(yaml.ScalarNode, value, (True, False)) == _STR
    return dumper.represent_scalar(_STR, value, style=None if plain and value.strip() == value else "'")


_Dumper.add_representer(str, _str)


def instance_yaml(data: dict, header: str = "") -> str:
    """Block YAML, lists and maps of scalars inline (``fleet: {H100: 512}``), keys in given order."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None,
                     width=100)
    return "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines()) + body


def flow_yaml(value: Any) -> str:
    """One line of flow YAML (a design's overrides in a cell)."""
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=True,
                     width=1 << 30).strip()

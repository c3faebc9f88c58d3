"""Read a YAML file safely and remember where every key and value came from.

PyYAML composes the document into a node graph; we build the Python objects from that
graph ourselves so that we can

* refuse duplicate keys (PyYAML silently keeps the last one),
* refuse every tag outside plain YAML (no Python object construction, ever),
* bound alias expansion (a "billion laughs" file fails fast instead of eating memory),
* record the line and column of each key and value under its key path, so that later
  validation messages can point at ``file:line:column``.

YAML 1.1 (PyYAML's dialect) reads ``4.0e6`` as a string because its exponent has no
sign; instance files are written by people who expect YAML 1.2 numbers, so the float
resolver below accepts both spellings.
"""
from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import InputError, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # nodes built after alias expansion; real instances use a few thousand
MAX_DEPTH = 100  # nesting levels; instance files use 7 at most. libyaml's composer recurses per level
#                  and crashes the interpreter near 50,000, so depth is checked on the event stream first
MAX_INT_DIGITS = 300  # an integer must convert to a float (< 1e308); longer ones are refused

KeyPath = tuple[Any, ...]

_FLOAT_12 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


_INT_12 = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


# libyaml's C scanner/parser when PyYAML was built with it (the wheels are): ~10x faster on
# large files; node marks (line, column) and errors are the same.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Base):
    """Safe loader reading plain scalars the YAML 1.2 way (core schema).

    ``4.0e6`` is a number, ``010`` is ten (not octal eight), and ``yes``/``no``/``on``/
    ``off`` are strings, not booleans: what people writing instance files expect.
    """

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text, 10)

    def construct_yaml_bool(self, node):
        return self.construct_scalar(node).lower() == "true"


_REPLACED = {"tag:yaml.org,2002:float", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool"}
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_12, list("tTfF"))
Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT_12, list("-+0123456789"))
Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))
Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
Loader.add_constructor("tag:yaml.org,2002:bool", Loader.construct_yaml_bool)

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass
class SourceMap:
    """Where each key path of a document sits in its file (1-based line and column)."""

    file: str
    keys: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    values: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    # problems found while reading (duplicate keys, foreign tags): reported with the rest
    problems: list[Problem] = field(default_factory=list)
    unreadable: set[KeyPath] = field(default_factory=set)  # values replaced by None after a problem

    def locate(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path``; falls back to the closest ancestor that has one."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: KeyPath, message: str, *, key: bool = False, path_text: str | None = None) -> Problem:
        line, col = self.locate(path, key=key)
        return Problem(self.file, line, col, format_path(path) if path_text is None else path_text, message)


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pos(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Builder:
    def __init__(self, loader: Loader, source: SourceMap):
        self.loader = loader
        self.source = source
        self.problems: list[Problem] = []
        self.count = 0

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise InputError([Problem(self.source.file, *_pos(node.start_mark), format_path(path),
                                      f"document expands to more than {MAX_NODES} nodes "
                                      "(alias expansion bomb?)")])
        self.source.values[path] = _pos(node.start_mark)  # the last (explicit) spelling wins
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                return self._bad_tag(node, path)
            return [self.build(item, path + (k,)) for k, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            return self._bad_tag(node, path)
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_INT_DIGITS:
            self.source.unreadable.add(path)
            self.problems.append(Problem(self.source.file, *_pos(node.start_mark), format_path(path),
                                         f"integer of {len(node.value)} digits is too large "
                                         f"(expected a number below 1e{MAX_INT_DIGITS})"))
            return None
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, str):
            # one spelling per text: 'café' typed as one code point or as e + combining accent is
            # the same id (NFC, as most editors write it)
            return unicodedata.normalize("NFC", value)
        return value  # a NaN is rejected later by the schema, with its position

    def _bad_tag(self, node: yaml.Node, path: KeyPath) -> None:
        self.source.unreadable.add(path)
        self.problems.append(Problem(self.source.file, *_pos(node.start_mark), format_path(path),
                                     f"unsupported YAML tag {node.tag!r} (plain YAML values only)"))
        return None

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict:
        if node.tag != "tag:yaml.org,2002:map":
            return self._bad_tag(node, path)
        written = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<): merged pairs come first
        out: dict = {}
        explicit: set = set()
        for key_node, value_node in node.value:
            key = self.build(key_node, path + ("<key>",))
            if isinstance(key, (dict, list)) or key is None:
                self.problems.append(Problem(self.source.file, *_pos(key_node.start_mark),
                                             format_path(path), "mapping keys must be plain names"))
                continue
            if id(key_node) in written:
                if key in explicit:
                    first = self.source.keys.get(path + (key,), (0, 0))
                    self.problems.append(Problem(
                        self.source.file, *_pos(key_node.start_mark), format_path(path + (key,)),
                        f"duplicate key {key!r} (first given at line {first[0]}"
                        + ("; keys are compared after Unicode NFC normalisation)"
                           if isinstance(key, str) and not key.isascii() else ")")))
                    continue
                explicit.add(key)
            # a key given by a merge and again later (merge or explicit): the later wins, as in YAML
            self.source.keys[path + (key,)] = _pos(key_node.start_mark)
            out[key] = self.build(value_node, path + (key,))
        return out


def read_text(path: str | os.PathLike, limit: int = MAX_FILE_BYTES, what: str = "an instance file") -> str:
    """Read a user file as UTF-8 text, turning every OS-level failure into an InputError.

    Only regular files: a FIFO would block forever and /dev/zero never ends. The file is opened
    without blocking, checked on the open descriptor (no race with a rename), and read up to
    ``limit`` bytes, so a file that grows while read cannot exceed it either.
    """
    name = str(path)

    def fail(msg: str) -> InputError:
        return InputError([Problem(name, 1, 1, "", msg)])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise fail("no such file") from None
    except IsADirectoryError:
        raise fail(f"is a directory, not {what}") from None
    except PermissionError:
        raise fail("permission denied: cannot read the file") from None
    except OSError as exc:
        raise fail(f"cannot open the file ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise fail(f"is a directory, not {what}")
        if not stat.S_ISREG(mode):
            kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                    or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise fail(f"is {kind}; expected a regular file ({what})")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise fail(f"file is larger than {limit:,} bytes, the limit for {what}")
    data = b"".join(chunks)
    if b"\x00" in data:
        raise fail(f"binary file (contains NUL bytes); expected a text file ({what})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Problem(name, line, col, "",
                                  f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")]) from None


def _tab_at(text: str, mark: yaml.Mark) -> bool:
    """Is the offending character a tab (in the indentation or at the mark)?"""
    lines = text.splitlines()
    if mark.line >= len(lines):
        return False
    line = lines[mark.line]
    return "\t" in line[: len(line) - len(line.lstrip())] or line[mark.column: mark.column + 1] == "\t"


def _check_depth(loader: Loader, file: str) -> None:
    """Refuse a document nested deeper than MAX_DEPTH, reading libyaml's (non-recursive) event
    stream before its (recursive) composer sees the document."""
    depth = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError([Problem(file, *_pos(event.start_mark), "",
                                          f"nested more than {MAX_DEPTH} levels deep (instance files "
                                          "need fewer than 10)")])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, SourceMap]:
    """Parse one YAML document; return (plain Python data, SourceMap)."""
    source = SourceMap(file)
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise InputError([Problem(file, 1, 1, "", "file is empty (expected a YAML mapping with "
                                                    "name, members and workstreams)")])
    loader = Loader(text)
    try:
        _check_depth(loader, file)
        loader.dispose()
        loader = Loader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        # an unclosed [ or { is noticed later; point at where it was opened
        unclosed = bool(exc.context and "flow" in exc.context and exc.context_mark)
        mark, other = ((exc.context_mark, exc.problem_mark) if unclosed
                       else (exc.problem_mark or exc.context_mark, exc.context_mark))
        line, col = _pos(mark) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        if mark and _tab_at(text, mark):
            what = "tab characters cannot indent YAML (use spaces)"
        if exc.context:
            what = f"{exc.context}: {what}"
        if other and mark and other.line != mark.line:
            what += f" (see also line {other.line + 1}, column {other.column + 1})"
        raise InputError([Problem(file, line, col, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(file, 1, 1, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError([Problem(file, 1, 1, "", "file is empty")])
    builder = _Builder(loader, source)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise InputError([Problem(file, 1, 1, "", "document is nested too deeply")]) from None
    except yaml.constructor.ConstructorError as exc:
        line, col = _pos(exc.problem_mark) if exc.problem_mark else (1, 1)
        raise InputError([Problem(file, line, col, "", f"cannot read value: {exc.problem}")]) from None
    source.problems = builder.problems
    return data, source

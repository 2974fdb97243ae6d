"""Bounded, careful reading of every input file: no device, FIFO or folder, no file beyond its kind's size cap.

Every reader of the project goes through here, so hostile or broken input ends in an
:class:`~glutemed.io.errors.InputFileError` that names the file (exit 2 on the command line) instead of
exhausting the machine:

- ``read_bytes``/``read_text``: regular files only (a device such as ``/dev/zero``, a FIFO or a folder is
  refused before it is opened for reading, so nothing blocks); at most the cap of the input kind
  (:data:`LIMITS_MB`, overridable per kind with the environment variable ``GLUTEMED_MAX_<KIND>_MB``), checked
  on the file's size and again on the bytes actually read; text must be UTF-8 (a BOM is allowed).
- ``parse_json``: duplicate keys refused, integers longer than :data:`MAX_INT_DIGITS` digits refused, and
  nesting deeper than :data:`MAX_DEPTH` refused (checked on the parsed tree without recursion, and the
  parser's own recursion error is turned into the same message).
- ``parse_yaml``: a :class:`yaml.SafeLoader` subclass that refuses anchors and aliases (billion-laughs
  "alias bombs"), duplicate keys and over-long integers, and stops composing at :data:`MAX_DEPTH` levels.

Error messages never quote more than :data:`QUOTE_CHARS` characters of the input.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from glutemed.io.errors import InputFileError

MiB = 1024 * 1024
# Default size caps in MiB per input kind. Chosen so that the parsed form of a file at the cap stays well under
# 1 GB of memory (a keypoint JSON takes about 5x its size as Python objects, gpxpy about 19x).
LIMITS_MB: dict[str, float] = {
    "keypoints": 32.0,  # TRC, GaitLab JSON, glutemed keypoints JSON (about 10 min of 60 fps keypoints)
    "openpose": 4.0,  # one OpenPose frame file
    "c3d": 128.0,
    "document": 4.0,  # intake, clinical tests, one session log, --gait/--load JSON
    "logbook": 16.0,
    "activity": 32.0,  # one GPX/TCX/FIT file or zip/gz member, decompressed
    "strava_csv": 64.0,
    "archive": 4096.0,  # a whole zip of activities (members are capped one by one)
}
MAX_DEPTH = 64  # nesting levels of JSON/YAML; no document of the project needs more than 8
MAX_INT_DIGITS = 30  # longer integers are refused (Python refuses 4300+ digits with a traceback)
QUOTE_CHARS = 60  # at most this much of an input value is ever quoted in a message
# Parsed JSON costs about 60 bytes per value: more values than this (a 32 MB file of empty lists has 11 million)
# would take more than 1 GB. Ten minutes of 60 fps keypoints hold about 2 million.
MAX_JSON_VALUES = 6_000_000


def limit_bytes(kind: str) -> int:
    """The size cap in bytes for ``kind`` (environment ``GLUTEMED_MAX_<KIND>_MB`` overrides the default)."""
    if kind not in LIMITS_MB:
        raise KeyError(f"unknown input kind {kind!r}; known: {', '.join(LIMITS_MB)}")
    raw = os.environ.get(f"GLUTEMED_MAX_{kind.upper()}_MB", "")
    try:
        mb = float(raw) if raw.strip() else LIMITS_MB[kind]
    except ValueError:
        mb = LIMITS_MB[kind]
    if not mb > 0:
        mb = LIMITS_MB[kind]
    return int(mb * MiB)


def short(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of a value cut to ``limit`` characters; never walks a big container in full."""
    if isinstance(value, dict | list | tuple | set):
        return f"<{type(value).__name__} of {len(value)} items>"
    if isinstance(value, str | bytes) and len(value) > limit:
        value = value[:limit]
        return repr(value)[: limit + 2] + "..."
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**limit else "<a very large integer>"
    return text if len(text) <= limit else text[:limit] + "..."


def _size_text(n: float) -> str:
    return f"{n / MiB:.1f} MB" if n >= MiB else f"{int(n)} bytes"


def check_regular(path: Path, what: str = "file") -> os.stat_result:
    """The stat of ``path``; refuses a missing path, a folder, a device, a FIFO or a socket."""
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(path, f"is a folder, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise InputFileError(path, f"is {kind}, not a regular file; give a {what}")
    return st


def read_bytes(path: str | Path, kind: str, what: str = "file") -> bytes:
    """The whole content of a regular file of at most the cap of ``kind``."""
    path = Path(path)
    cap = limit_bytes(kind)
    st = check_regular(path, what)
    if st.st_size > cap:
        raise InputFileError(
            path,
            f"{_size_text(st.st_size)} is over the {_size_text(cap)} limit for a {what} "
            f"(raise it with GLUTEMED_MAX_{kind.upper()}_MB if the file is genuine)",
        )
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it cannot hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputFileError(path, "is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(cap + 1)
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > cap:
        raise InputFileError(path, f"grew past the {_size_text(cap)} limit for a {what} while being read")
    return data


def decode_text(path: str | Path, data: bytes, what: str = "file") -> str:
    """UTF-8 text (with or without a BOM); anything else is an InputFileError saying where it broke."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(
            path, f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}); save it as UTF-8"
        ) from None


def read_text(path: str | Path, kind: str, what: str = "file") -> str:
    """UTF-8 text of a regular file of at most the cap of ``kind``."""
    return decode_text(path, read_bytes(path, kind, what), what)


# -- JSON -----------------------------------------------------------------------------------------------------
class _RefusedError(ValueError):
    """Raised inside the JSON hooks; turned into an InputFileError naming the file."""


def _json_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise _RefusedError(f"an integer of {len(digits)} digits is refused (at most {MAX_INT_DIGITS})")
    return int(text)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RefusedError(f"duplicate key {short(key)}: a key may appear only once in an object")
        out[key] = value
    return out


def _json_constant(name: str) -> float:
    raise _RefusedError(f"{name} is not a JSON number")


def check_depth(data: Any, limit: int = MAX_DEPTH) -> None:
    """Raise ValueError when containers nest deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth > limit:
            raise ValueError(f"nested more than {limit} levels deep")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | tuple))


def parse_json(path: str | Path, text: str, what: str = "JSON file") -> Any:
    """Parse JSON text with duplicate keys, huge integers, NaN/Infinity and deep nesting refused."""
    if not text.strip():
        raise InputFileError(path, "file is empty")
    n_values = text.count(",") + text.count("[") + text.count("{")  # an upper bound on the values, cheaply
    if n_values > MAX_JSON_VALUES:
        raise InputFileError(
            path,
            f"{what}: about {n_values:,} values, more than the {MAX_JSON_VALUES:,} it may hold in memory",
        )
    try:
        data = json.loads(
            text, object_pairs_hook=_json_object, parse_int=_json_int, parse_constant=_json_constant
        )
    except json.JSONDecodeError as exc:
        raise InputFileError(
            path, f"not valid JSON ({exc.msg} at line {exc.lineno}; file truncated?)"
        ) from None
    except _RefusedError as exc:
        raise InputFileError(path, f"{what}: {exc}") from None
    except RecursionError:
        raise InputFileError(path, f"{what}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. a float literal Python cannot take
        raise InputFileError(path, f"{what}: {short(str(exc), 120)}") from None
    try:
        check_depth(data)
    except ValueError as exc:
        raise InputFileError(path, f"{what}: {exc}") from None
    return data


def read_json(path: str | Path, kind: str, what: str = "JSON file") -> Any:
    """Read and parse a JSON file with every guard of this module."""
    return parse_json(path, read_text(path, kind, what), what)


# -- YAML -----------------------------------------------------------------------------------------------------
class GuardedLoader(yaml.SafeLoader):
    """SafeLoader without anchors/aliases or duplicate keys, with a nesting limit and bounded integers."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are refused: they can expand a small file into gigabytes",
                event.start_mark,
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, ScalarEvent | SequenceStartEvent | MappingStartEvent) and event.anchor:
            raise yaml.composer.ComposerError(
                None,
                None,
                "anchors (&name) are refused in input files",
                event.start_mark,  # type: ignore[arg-type]
            )
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {self.max_depth} levels deep", event.start_mark
                )
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    continue  # unhashable key: the base constructor says so
                if duplicate:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found the key {short(key)} twice (the second would silently win)",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        value = str(node.value).replace("_", "").lstrip("+-")
        if len(value) > MAX_INT_DIGITS:
            raise ConstructorError(
                None,
                None,
                f"an integer of {len(value)} digits is refused (at most {MAX_INT_DIGITS})",
                node.start_mark,
            )
        return int(SafeConstructor.construct_yaml_int(self, node))

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return SafeConstructor.construct_yaml_timestamp(self, node)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                None, None, f"{short(str(node.value))} is not a real date or time ({exc})", node.start_mark
            ) from None


_CONSTRUCTORS: dict[str, Any] = {
    "tag:yaml.org,2002:int": GuardedLoader.construct_yaml_int,
    "tag:yaml.org,2002:map": GuardedLoader.construct_yaml_map,
    "tag:yaml.org,2002:timestamp": GuardedLoader.construct_yaml_timestamp,
}
for _tag, _constructor in _CONSTRUCTORS.items():
    GuardedLoader.add_constructor(_tag, _constructor)


def parse_yaml(path: str | Path, text: str, what: str = "YAML file") -> Any:
    """Parse YAML (and so JSON) text with :class:`GuardedLoader`; errors name the file and the line."""
    if not text.strip():
        raise InputFileError(path, "file is empty")
    loader = None
    try:
        loader = GuardedLoader(text)  # the reader checks the characters here already
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark is not None else ""
        problem = str(exc.problem or exc.context or "not valid YAML")
        problem = problem if len(problem) <= 200 else problem[:200] + "..."
        raise InputFileError(path, f"{what}: {problem}{where}") from None
    except yaml.YAMLError as exc:
        raise InputFileError(
            path, f"{what} is neither valid YAML nor JSON ({short(str(exc), 200)})"
        ) from None
    except RecursionError:
        raise InputFileError(path, f"{what}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise InputFileError(path, f"{what}: {short(str(exc), 200)}") from None
    finally:
        if loader is not None:
            loader.dispose()
    try:
        check_depth(data)
    except ValueError as exc:
        raise InputFileError(path, f"{what}: {exc}") from None
    return data


def read_yaml(path: str | Path, kind: str, what: str = "YAML file") -> Any:
    """Read and parse a YAML or JSON file with every guard of this module."""
    return parse_yaml(path, read_text(path, kind, what), what)

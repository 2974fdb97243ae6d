"""Fuzzing machinery shared by the pytest sample and ``make fuzz``: mutation, structured generation, checks.

- :func:`mutate`: byte-level mutations of a seed (bit flips, interesting values, deletions, duplications,
  splices with another seed, truncation, long runs), the classic AFL-style operators.
- :func:`structured`: Hypothesis strategies that keep the input's format (JSON/YAML documents with values
  swapped for hostile ones, TRC text with hostile cells, CSV rows), so the fuzz reaches past the first parse.
- :func:`check`: runs one input through a target under a per-input time limit (SIGALRM) and returns a
  description of the failure, or None. A failure is any exception outside the target's documented errors,
  or a hang.
- Failing inputs are kept in ``tests/fuzz/corpus/<target>/`` (:func:`save_crash`) and replayed by the suite.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import string
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from tests.fuzz.targets import Target

CORPUS = Path(__file__).resolve().parent / "corpus"
TIME_LIMIT_S = 10  # per input; the largest input here is a few hundred kB


class Hang(Exception):  # noqa: N818 - a finding, like a crash
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check(target: Target, data: bytes, folder: Path | None = None) -> str | None:
    """None when the target answers ``data`` with a result or a documented error; else what went wrong."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with time_limit(TIME_LIMIT_S):
                target.run(data, folder or Path(tmp))
        except target.allowed:
            return None
        except Hang as exc:
            return f"hang: {exc}"
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            tb = "".join(traceback.format_exception(exc)[-6:])
            return f"{type(exc).__name__}: {str(exc)[:300]}\n{tb}"
    return None


def save_crash(target: Target, data: bytes) -> Path:
    folder = CORPUS / target.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.bin"
    path.write_bytes(data)
    return path


INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff\xff",
    b"\x00\x00",
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x00\x80",
]
TOKENS = [
    b"NaN", b"Infinity", b"-1", b"0", b"1e309", b"9" * 40, b"null", b"true", b"[]", b"{}", b'""', b"&a", b"*a",
    b"\xef\xbb\xbf", b"\t", b"\n", b"\r\n", b"<!DOCTYPE x>", b"]]>", b"<![CDATA[", b"\\u0000", b"'", b'"', b"9999-12-31",
    b"0000-00-00", b"2025-13-45", b"-0", b"1e-400", b"--", b"!!python/object:os.system",
]  # fmt: skip


def mutate(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    """One to eight stacked byte-level mutations of ``data``."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(10)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:  # bit flip
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:  # random byte
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op == 2:  # interesting binary value
            value = rng.choice(INTERESTING)
            buf[pos : pos + len(value)] = value
        elif op == 3:  # hostile token inserted
            buf[pos:pos] = rng.choice(TOKENS)
        elif op == 4 and buf:  # delete a chunk
            buf[pos : pos + rng.randint(1, 64)] = b""
        elif op == 5 and buf:  # duplicate a chunk
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start : start + rng.randint(1, 256)]
        elif op == 6:  # splice with another seed
            other = rng.choice(seeds)
            cut = rng.randrange(len(other) + 1)
            buf = buf[:pos] + bytearray(other[cut:])
        elif op == 7 and buf:  # truncate
            del buf[rng.randrange(len(buf)) :]
        elif op == 8:  # a long run of one byte
            buf[pos:pos] = bytes([rng.randrange(256)]) * rng.choice([16, 300, 5000])
        elif op == 9 and buf:  # swap two chunks
            a, b = sorted(rng.randrange(len(buf)) for _ in range(2))
            n = rng.randint(1, 32)
            buf[a : a + n], buf[b : b + n] = buf[b : b + n], buf[a : a + n]
    return bytes(buf[:2_000_000])


# -- structured generation ------------------------------------------------------------------------------------
HOSTILE_TEXT = st.sampled_from(
    ["", "NaN", "1e309", "-1e309", "9" * 50, "\x00", "[", "{", "a" * 1000, "2025-13-45", "true", "*a", "&a b"]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(string.printable, max_size=20),
    HOSTILE_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def _replace_somewhere(doc: Any, path: list[int], value: Any) -> Any:
    """``doc`` with the node chosen by ``path`` (indices into children) replaced by ``value``."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    if isinstance(doc, dict):
        keys = list(doc)
        key = keys[path[0] % len(keys)]
        return {**doc, key: _replace_somewhere(doc[key], path[1:], value)}
    i = path[0] % len(doc)
    return [*doc[:i], _replace_somewhere(doc[i], path[1:], value), *doc[i + 1 :]]


@st.composite
def json_documents(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed document with one to three nodes swapped for random or hostile JSON values."""
    import yaml

    try:
        doc = json.loads(seed)
    except ValueError:
        doc = yaml.safe_load(seed)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.lists(st.integers(0, 50), max_size=6))
        doc = _replace_somewhere(doc, path, draw(JSON_VALUES))
    as_yaml = draw(st.booleans())
    if as_yaml:
        return yaml.safe_dump(doc, allow_unicode=True).encode()
    return json.dumps(doc, allow_nan=True).encode()


@st.composite
def text_cells(draw: st.DrawFn, seed: bytes, sep: str) -> bytes:
    """The seed's lines with some cells replaced by hostile text (TRC: tabs, CSV: commas)."""
    lines = seed.decode("utf-8", errors="replace").split("\n")
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        cells = lines[i].split(sep)
        j = draw(st.integers(0, len(cells)))
        value = draw(st.one_of(HOSTILE_TEXT, st.text(string.printable, max_size=12), st.just(sep * 50)))
        if j == len(cells):
            cells.append(value)
        else:
            cells[j] = value
        lines[i] = sep.join(cells)
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


@st.composite
def xml_values(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed XML with the text of some elements or attributes replaced by hostile values."""
    import re

    text = seed.decode()
    spots = [m.span(1) for m in re.finditer(r">([^<>]+)<|=\"([^\"]*)\"", text) if m.group(1)]
    spots += [m.span(1) for m in re.finditer(r"=\"([^\"]*)\"", text)]
    for _ in range(draw(st.integers(1, 4))):
        if not spots:
            break
        a, b = spots[draw(st.integers(0, len(spots) - 1))]
        value = draw(
            st.one_of(HOSTILE_TEXT, st.text(string.ascii_letters + string.digits + "-:.TZ+", max_size=30))
        )
        text = text[:a] + value.replace("<", "").replace("&", "") + text[b:]
        spots = [(x, y) for x, y in spots if y <= a]
    return text.encode()


def structured(target: Target) -> st.SearchStrategy[bytes]:
    """A format-aware strategy for ``target`` (raw bytes for the binary formats)."""
    seeds = target.seeds()
    seed = st.sampled_from(seeds)
    if target.name in {"gaitlab_json", "keypoints_json", "openpose", "intake", "tests", "session", "logbook"}:
        return seed.flatmap(json_documents)
    if target.name == "trc":
        return seed.flatmap(lambda s: text_cells(s, "\t"))
    if target.name == "strava_csv":
        return seed.flatmap(lambda s: text_cells(s, ","))
    if target.name in {"gpx", "tcx"}:
        return seed.flatmap(xml_values)
    # binary formats: a seed with random bytes written over a random stretch
    return st.tuples(seed, st.integers(0, 4096), st.binary(min_size=1, max_size=64)).map(
        lambda t: t[0][: t[1] % (len(t[0]) + 1)] + t[2] + t[0][t[1] % (len(t[0]) + 1) + len(t[2]) :]
    )

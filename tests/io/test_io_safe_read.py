"""Bounded reading: caps, regular files only, UTF-8, guarded YAML and JSON."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glutemed.io.errors import InputFileError
from glutemed.io.safe_read import (
    MAX_DEPTH,
    check_depth,
    limit_bytes,
    parse_json,
    parse_yaml,
    read_bytes,
    read_text,
    short,
)


def test_size_cap_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024)  # sparse
    with pytest.raises(InputFileError, match=r"big\.yaml: 5\.0 MB is over the 4\.0 MB limit"):
        read_bytes(path, "document")
    monkeypatch.setenv("GLUTEMED_MAX_DOCUMENT_MB", "6")
    assert limit_bytes("document") == 6 * 1024 * 1024
    assert len(read_bytes(path, "document")) == 5 * 1024 * 1024
    monkeypatch.setenv("GLUTEMED_MAX_DOCUMENT_MB", "nonsense")
    assert limit_bytes("document") == 4 * 1024 * 1024


@pytest.mark.parametrize(("make", "what"), [("fifo", "FIFO"), ("dir", "folder"), ("dev", "device")])
def test_only_regular_files(tmp_path: Path, make: str, what: str) -> None:
    path = tmp_path / "x"
    if make == "fifo":
        os.mkfifo(path)
    elif make == "dir":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    with pytest.raises(InputFileError, match=what):
        read_bytes(path, "document")
    with pytest.raises(InputFileError, match="file not found"):
        read_bytes(tmp_path / "missing", "document")


def test_text_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: ok\nnote: caf\xe9\n")
    with pytest.raises(InputFileError, match=r"not UTF-8 text \(byte 0xe9 at line 2\)"):
        read_text(path, "document")
    path.write_bytes(b"\xef\xbb\xbfname: ok\n")  # a BOM is fine
    assert read_text(path, "document") == "name: ok\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x 1\nb: 2\n", "anchors"),
        ("a: [1]\nb: *x\n", "aliases"),
        ("a: 1\nb: 2\na: 3\n", "key 'a' twice"),
        ("x: " + "1" * 31, "31 digits"),
        ("d: 2025-02-30", "not a real date"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than"),
        ("!!python/object/apply:os.system [ls]", "could not determine a constructor"),
        ("a: \x00", "special characters"),
        ("", "empty"),
    ],
)
def test_yaml_guards(text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        parse_yaml("doc.yaml", text)


def test_yaml_plain_documents_still_read() -> None:
    doc = parse_yaml("doc.yaml", "a: 1\nb: [x, {c: 2025-01-02}]\nn: " + "9" * 30 + "\n")
    assert doc["a"] == 1
    assert str(doc["b"][1]["c"]) == "2025-01-02"
    assert doc["n"] == int("9" * 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ("[" + "9" * 5000 + "]", "5000 digits"),
        ("[NaN]", "NaN is not a JSON number"),
        ("[" * 200_000 + "]" * 200_000, "nested more than"),
        ('{"a": [1, 2', "not valid JSON"),
    ],
)
def test_json_guards(text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        parse_json("doc.json", text)


def test_depth_check_is_iterative() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(100_000):  # far past the recursion limit: a recursive check would fail here
        child: list[object] = []
        node.append(child)
        node = child
    with pytest.raises(ValueError, match="nested more than 64"):
        check_depth(deep)
    check_depth([[1, {"a": [2]}]])


def test_short_never_walks_a_big_value() -> None:
    assert short(["x"] * 10**6) == "<list of 1000000 items>"
    assert len(short("y" * 10**6)) < 80
    assert short(10**5000) == "<a very large integer>"
    assert short("ok") == "'ok'"

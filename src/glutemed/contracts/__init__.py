"""Contracts between commands: one pydantic model per file that one command writes and another reads.

Each model is the single source of truth for its file: the producer's output is checked against it in tests,
every reader validates with it, and its JSON Schema is published in ``contracts/schemas/`` (see
docs/contracts.md and ``glutemed schema``).
"""

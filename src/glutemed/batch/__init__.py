"""Batch analysis on Dask: many recordings through :func:`glutemed.services.analyze.analyze_path` in parallel.

- :mod:`~glutemed.batch.jobs`: what to analyse (a manifest CSV or files and folders), each job's config and
  its stable output folder;
- :mod:`~glutemed.batch.task`: the function a worker runs for one job (skip when done, analyse, write
  ``result.json`` atomically, or return the error as data);
- :mod:`~glutemed.batch.tables`: the per-recording-and-leg table (Parquet and CSV) and the errors table, rebuilt
  from the stored results;
- :mod:`~glutemed.batch.runner`: a ``dask.distributed`` LocalCluster (one single-threaded worker process per
  core) or an existing cluster by address, and the loop that collects the outcomes.

Dask and pyarrow load only here (never in ``core``).
"""

from __future__ import annotations

from glutemed.batch.jobs import Job, ManifestError, config_hash, jobs_from_inputs, jobs_from_manifest
from glutemed.batch.runner import BatchSummary, run_batch
from glutemed.batch.task import Outcome, run_job

__all__ = [
    "BatchSummary",
    "Job",
    "ManifestError",
    "Outcome",
    "config_hash",
    "jobs_from_inputs",
    "jobs_from_manifest",
    "run_batch",
    "run_job",
]

"""Activity files in (FIT, GPX, TCX, Strava export): sessions for the training-load models."""

from glutemed.io.activities.common import SkipFile, normalise_sport
from glutemed.io.activities.dedupe import dedupe, same_activity
from glutemed.io.activities.walker import scan

__all__ = ["SkipFile", "dedupe", "normalise_sport", "same_activity", "scan"]

"""Pure domain logic: numpy, scipy, dataclasses and the standard library only."""

"""Domain knowledge as validated data files: muscles, exercises, tests, faults, injuries, references."""

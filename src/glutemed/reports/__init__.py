"""Reports: HTML pages and figures built from results."""

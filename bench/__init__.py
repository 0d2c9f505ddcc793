"""`make bench`: load the built stack on one machine and report every figure against a baseline."""

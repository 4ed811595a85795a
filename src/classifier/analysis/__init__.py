"""Analyses of coded initiatives: the CCDR member vs non-member comparison."""

"""Reliability: agreement coefficients, per-label agreement reports, and the model judged as
one more coder on cross-validated predictions."""

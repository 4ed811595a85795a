"""The data layer: the codebook, entries and their documents, codes, cities and the corpus.

Every reader validates as it reads and raises :class:`~classifier.errors.InputError` naming the
file, line (or row), field and problem.  Every writer is atomic (:mod:`classifier.io.atomic`).
"""

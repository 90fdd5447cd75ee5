"""The corpus cases, one module per feature of the Federation specification.

Each module defines ``CASES: list[Case]``; :func:`tests.federation_corpus.case.all_cases`
collects them all.
"""

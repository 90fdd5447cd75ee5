"""``python -m tests.federation_corpus``: the corpus's cases counted per feature."""

from collections import Counter

from tests.federation_corpus.case import all_cases

cases = all_cases()
for feature, count in sorted(Counter(case.feature for case in cases).items()):
    print(f"{feature:32} {count:3}")
differences = [case for case in cases if case.difference]
print(f"{'total':32} {len(cases):3} ({len(differences)} deliberate differences)")
for case in differences:
    print(f"  {case.name}: {case.difference}")

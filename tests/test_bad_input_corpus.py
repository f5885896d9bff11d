"""The bad-input corpus: every case ends in a clean error naming what is wrong.

No case may show a traceback, hang, crash, or be accepted; each prints its expected message
on standard error and exits with a non-zero status (the one it names, if any).
"""
from __future__ import annotations

import pytest

from bad_input import TIME_LIMIT, run_case
from bad_input_cases import CASES


def test_the_corpus_is_large_and_its_names_unique():
    names = [c.name for c in CASES]
    assert len(names) >= 300
    assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path):
    outcome = run_case(case, tmp_path)
    assert outcome.status == "error", f"{case.name}: {outcome}"
    if case.code is not None:
        assert outcome.code == case.code, f"{case.name}: {outcome}"
    assert case.expect in outcome.stderr, f"{case.name}: expected {case.expect!r}; {outcome}"
    assert outcome.seconds < TIME_LIMIT
    # one line per problem: no line of the message runs on for pages
    assert all(len(line) < 500 for line in outcome.stderr.splitlines()), outcome.stderr[:2000]

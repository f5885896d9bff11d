"""The benchmark harness: a section measured into a copy of the document between its markers,
everything else left byte for byte; the real document's sections name their commands."""
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench import harness

ROOT = Path(__file__).resolve().parent.parent

PROSE_BEFORE = "# Performance\n\nHand-written prose that stays.\n\n## Reading PNML\n\nWhy it is linear.\n\n"
PROSE_AFTER = "\nMore prose after the block, with a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


def _bench(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300)


def test_quick_section_replaces_only_its_block(tmp_path):
    doc = tmp_path / "perf.md"
    old = "<!-- BEGIN GENERATED pnml -->\nold figures 1,234 s\n<!-- END GENERATED pnml -->\n"
    doc.write_text(PROSE_BEFORE + old + PROSE_AFTER)
    proc = _bench("--section", "pnml", "--quick", "--doc", str(doc))
    assert proc.returncode == 0, proc.stderr
    text = doc.read_text()
    assert text.startswith(PROSE_BEFORE) and text.endswith(PROSE_AFTER)
    assert "old figures" not in text
    body = harness.blocks(text)["pnml"]
    assert text == PROSE_BEFORE + "<!-- BEGIN GENERATED pnml -->\n" + body + \
        "<!-- END GENERATED pnml -->\n" + PROSE_AFTER
    assert "- Command: `python -m bench --section pnml --quick`, run on " in body
    assert "**Quick run" in body
    assert re.search(r"- Machine: .+, \d+ cores, .+, CPython 3\.\d+\.\d+, numpy [\d.]+; "
                     r"load average [\d.]+ / [\d.]+ / [\d.]+", body)
    assert "- Method: pinned to CPU " in body and "`petri.formats.pnml.loads`" in body
    # the quick sizes, one table row each, with the ratio to the row before
    rows = [line for line in body.splitlines() if re.match(r"\| [\d,]+ \|", line)]
    assert [r.split("|")[1].strip() for r in rows] == ["250", "500", "1,000"]
    assert rows[0].split("|")[5].strip() == "" and rows[1].split("|")[5].strip().endswith("x")
    # raw figures beside the document, with the same header facts
    raw = json.loads((tmp_path / "perf" / "pnml.json").read_text())
    assert raw["command"] == "python -m bench --section pnml --quick" and raw["quick"] is True
    assert [r["places"] for r in raw["figures"]] == [250, 500, 1000]
    assert all(r["cpu_seconds"] > 0 for r in raw["figures"])
    assert f"{float(rows[2].split('|')[3]):.3f}" == f"{raw['figures'][2]['cpu_seconds']:.3f}"

    # run again: still one block, prose unchanged, no temporary files left behind
    proc = _bench("--section", "pnml", "--quick", "--doc", str(doc))
    assert proc.returncode == 0, proc.stderr
    text = doc.read_text()
    assert text.count("<!-- BEGIN GENERATED pnml -->") == 1
    assert text.startswith(PROSE_BEFORE) and text.endswith(PROSE_AFTER)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["perf", "perf.md", "pnml.json"]


def test_a_section_not_in_the_document_is_appended(tmp_path):
    doc = tmp_path / "perf.md"
    doc.write_text(PROSE_BEFORE)
    assert _bench("--section", "pnml", "--quick", "--doc", str(doc)).returncode == 0
    text = doc.read_text()
    assert text.startswith(PROSE_BEFORE.rstrip("\n") + "\n\n<!-- BEGIN GENERATED pnml -->\n")
    assert text.endswith("<!-- END GENERATED pnml -->\n")


def test_a_failing_section_leaves_the_document_alone(tmp_path):
    (tmp_path / "fake_sections.py").write_text(textwrap.dedent('''
        from bench.harness import Result
        def good(quick):
            return Result("| n |\\n|---|\\n| 7 |", {"n": 7}, "counted once")
        def bad(quick):
            raise ZeroDivisionError("a section's own error")
        SECTIONS = {"good": good, "bad": bad}
    '''))
    doc = tmp_path / "perf.md"
    start = PROSE_BEFORE + "<!-- BEGIN GENERATED bad -->\nkept\n<!-- END GENERATED bad -->\n"
    doc.write_text(start)
    cmd = [sys.executable, "-c",
               f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(ROOT)!r}]; "
               "from bench.harness import main; sys.exit(main())",
               "--module", "fake_sections", "--section", "bad", "--section", "good",
               "--doc", str(doc)]
    proc = subprocess.run(cmd, cwd=tmp_path, text=True, capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 1
    assert "ZeroDivisionError: a section's own error" in proc.stderr
    assert "bench: fake_sections:bad failed (exit status 1; its error is above); perf.md keeps " \
           "its section 'bad' as it was" in proc.stderr
    assert "bench: 1 of 2 sections failed: bad" in proc.stderr
    text = doc.read_text()
    assert text.startswith(start)            # the failed block is kept, the good one appended
    assert re.search(r"- Method: pinned to CPU \d \(as `taskset -c \d`\); counted once\.\n"
                     r"- Raw figures: `good.json`\.\n\n\| n \|\n\|---\|\n\| 7 \|\n$",
                     harness.blocks(text)["good"])
    assert json.loads((tmp_path / "perf" / "good.json").read_text())["figures"] == {"n": 7}
    assert not (tmp_path / "perf" / "bad.json").exists()


def test_unknown_section_is_one_line():
    proc = _bench("--section", "no-such-section", "--doc", "/nonexistent/perf.md")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith("bench: unknown section 'no-such-section'; known: ")


@pytest.mark.parametrize("text, message", [
    ("<!-- BEGIN GENERATED a -->\nx\n", "the markers of section 'a' are not one BEGIN line"),
    ("<!-- END GENERATED a -->\nx\n<!-- BEGIN GENERATED a -->\n", "section 'a'"),
    ("<!-- BEGIN GENERATED a -->\n<!-- END GENERATED a -->\n" * 2, "section 'a'"),
])
def test_broken_markers_are_refused(text, message):
    with pytest.raises(harness.HarnessError, match=re.escape(message)):
        harness.replace_block(text, "a", "new\n")


def test_replace_block_keeps_the_other_blocks():
    text = ("p\n<!-- BEGIN GENERATED a -->\nA\n<!-- END GENERATED a -->\nq\n"
            "<!-- BEGIN GENERATED b -->\nB\n<!-- END GENERATED b -->\nr\n")
    assert harness.replace_block(text, "b", "B2") == text.replace("\nB\n", "\nB2\n")
    assert harness.replace_block(text, "c", "C") == text + "\n<!-- BEGIN GENERATED c -->\nC\n" \
        "<!-- END GENERATED c -->\n"


def test_the_documents_sections_are_reproducible_by_their_commands():
    """Every generated block of docs/performance.md names a section some module defines, was
    written by that section's own full (not quick) command, and has its raw figures beside it."""
    doc = ROOT / "docs" / "performance.md"
    present = harness.blocks(doc.read_text())
    registry = harness.collect(harness.section_modules(), quiet=True)
    assert present, "docs/performance.md has no generated section"
    for name, body in present.items():
        assert name in registry, f"no module defines section {name!r}"
        assert body.startswith(f"- Command: `python -m bench --section {name}`, run on "), name
        assert "Quick run" not in body and "uncommitted changes" not in body, name
        raw = json.loads((ROOT / "docs" / "performance" / f"{name}.json").read_text())
        assert raw["command"] == f"python -m bench --section {name}" and raw["quick"] is False
        assert f"run on {raw['date'][:10]} at {raw['date'][11:16]} UTC" in body, name


def test_side_by_side_refuses_a_folder_that_is_not_a_checkout(tmp_path):
    assert harness.source_tree(str(ROOT)) == str(ROOT)
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_pass.py"),
                        "--side-by-side", str(tmp_path)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == (
        f"bench_pass.py: error: argument --side-by-side: {str(tmp_path)!r} is not a checkout "
        "of this project (no petri and control folders in it)")
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_service.py"),
                        "--together", "--rounds", "0"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and r.stderr.splitlines()[-1] == (
        "bench_service.py: error: argument --rounds: must be a whole number of 1 or more, "
        "got '0'")

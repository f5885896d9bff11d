"""``petri schedule FOLDER`` on plants that are wrong: one line naming the file, the line and
what is wrong, exit status 1, no traceback (the command run as ``python -m petri``)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLANT = ROOT / "tests" / "data" / "scheduling" / "plant"
FILES = ("calendars.csv", "machines.csv", "operations.csv", "plant.csv")
OPS = (PLANT / "operations.csv").read_text()
HEADER = "job,sequence,machines,hours,release,due,priority,splittable\n"
MISSING = ("no such file (a plant's folder holds calendars.csv, machines.csv, operations.csv "
           "and optionally plant.csv)")
PAST = "past the end of the calendars"

#: name: (the files changed (None: left out), the message after "petri: error: plant/")
CASES = {
    "missing-operations": ({"operations.csv": None}, f"operations.csv: {MISSING}"),
    "empty-folder": ({f: None for f in FILES}, f"calendars.csv: {MISSING}"),
    "unclosed-quote": ({"operations.csv": OPS.replace("B,1,Saw1,", 'B,1,"Saw1,')},
                       "operations.csv: line 4: 3 fields, the header has 8 (it runs on to line 7: "
                       "is a closing quote missing?)"),
    "short-row": ({"operations.csv": OPS + "D,1,Saw1\n"},
                  "operations.csv: line 8: 3 fields, the header has 8"),
    "huge-field": ({"operations.csv": OPS + 'D,1,"' + "S" * 200_000 + '",1,,,,\n'},
                   "operations.csv: line 8: not a CSV row: field larger than field limit (131072)"),
    "not-utf8": ({"machines.csv": b"machine,group,calendar\n\xff\xfe,saw,day\n"},
                 "machines.csv: not UTF-8 text (bad byte at offset 23); scheduling instance files "
                 "are UTF-8 text"),
    "nan-hours": ({"operations.csv": OPS.replace("A,1,saw,1.5,", "A,1,saw,nan,")},
                  "operations.csv: line 2: hours 'nan' is not a number"),
    "nan-release": ({"operations.csv": OPS.replace("C,1,saw,3,1,", "C,1,saw,3,NaN,")},
                    "operations.csv: line 6: release 'NaN' is not a number"),
    "inf-due": ({"operations.csv": OPS.replace("A,2,Mill,3,,12,", "A,2,Mill,3,,inf,")},
                "operations.csv: line 3: due 'inf' is not a number"),
    "nan-priority": ({"operations.csv": OPS.replace("A,2,Mill,3,,12,2,", "A,2,Mill,3,,12,nan,")},
                     "operations.csv: line 3: priority 'nan' is not a number"),
    "inf-priority": ({"operations.csv": OPS.replace("A,2,Mill,3,,12,2,", "A,2,Mill,3,,12,-inf,")},
                     "operations.csv: line 3: priority '-inf' is not a number"),
    "negative-priority": ({"operations.csv": OPS.replace("A,2,Mill,3,,12,2,", "A,2,Mill,3,,12,-2,")},
                          "operations.csv: line 3: priority is negative (-2)"),
    "nan-sequence": ({"operations.csv": OPS.replace("B,2,", "B,nan,")},
                     "operations.csv: line 5: sequence 'nan' is not a number"),
    "repeated-sequence": ({"operations.csv": OPS.replace("B,2,", "B,1,")},
                          "operations.csv: line 5: job 'B': sequence 1 is listed twice (operations "
                          "of a job run in increasing order)"),
    "due-before-release": ({"operations.csv": OPS.replace("C,2,Mill,2,,,,", "C,2,Mill,2,,0.5,,")},
                           "operations.csv: line 7: job 'C': due at 0.5 h, before its release at "
                           "1 h"),
    "release-past-ten-years": ({"operations.csv": OPS.replace("C,1,saw,3,1,", "C,1,saw,3,90000,")},
                               f"operations.csv: line 6: release 90000 is more than ten years "
                               f"(87360 h), {PAST}"),
    "due-date-past-ten-years": ({"operations.csv": OPS.replace("A,2,Mill,3,,12,",
                                                               "A,2,Mill,3,,2040-01-01T00:00,")},
                                f"operations.csv: line 3: due 2040-01-01T00:00 is more than ten "
                                f"years after the plant's start 2026-03-02, {PAST}"),
    # 12 x 8000 h of work on one machine: each fits in ten years, all of them do not
    "work-past-ten-years": ({"operations.csv": HEADER + "".join(
        f"J{i},1,Mill,8000,,,,yes\n" for i in range(12))},
        "calendar late: the schedule would run past the calendar's end, ten years from "
        "2026-03-02 (time 5241600)"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_bad_plant_is_one_line(name, tmp_path):
    changed, message = CASES[name]
    folder = tmp_path / "plant"
    folder.mkdir()
    for f in FILES:
        content = changed.get(f, (PLANT / f).read_bytes())
        if isinstance(content, str):
            content = content.encode("utf-8")
        if content is not None:
            (folder / f).write_bytes(content)
    r = subprocess.run([sys.executable, "-m", "petri", "schedule", "plant", "--method", "rule:spt"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (r.returncode, r.stdout) == (1, "")
    sep = ": " if name == "work-past-ten-years" else "/"
    assert r.stderr == f"petri: error: plant{sep}{message}\n"


def test_the_documented_message_is_the_one_printed():
    doc = " ".join((ROOT / "docs" / "scheduling.md").read_text().split())
    assert f"`plant/{CASES['unclosed-quote'][1]}`" in doc

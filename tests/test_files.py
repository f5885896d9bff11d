"""Files named by users: only regular files of a bounded size are read, tables stay in the
net's folder, outputs are written atomically and never over links, inputs or (without
force) existing files."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from petri.errors import NetError
from petri.files import (check_output, inside, output, read_bytes, reading_inputs,
                         write_output)
from petri.formats.toml import load, load_with_errors

ROOT = Path(__file__).resolve().parent.parent

NET = """\
[colours]
P = ["A", "B"]

[tables.t]
file = "{file}"
key = "p"
value = "v"

[places.a]
colour = "P"
initial = ["A"]

[places.b]
colour = "P"

[transitions.go]
delay = "t[p]"
inputs = [{{ place = "a", inscription = "p" }}]
outputs = [{{ place = "b", inscription = "p" }}]
"""


def net_with_table(folder: Path, file: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "net.toml"
    path.write_text(NET.format(file=file))
    return path


def problems(path, **kw):
    return [str(e) for e in load_with_errors(path, **kw)[1]]


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def test_a_fifo_given_as_a_net_file_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "net.toml"
    os.mkfifo(fifo)
    # in a subprocess with a timeout: a reader that opened the FIFO would wait for a writer
    run = subprocess.run([sys.executable, "-m", "petri", "validate", str(fifo)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr == f"{fifo}: is a FIFO (named pipe), not a net file\n"


def test_a_device_and_a_folder_are_refused(tmp_path):
    with pytest.raises(NetError) as e:
        read_bytes("/dev/zero", what="net file")
    assert str(e.value) == "/dev/zero: is a device, not a net file"
    assert problems(tmp_path) == [f"{tmp_path}: is a directory, not a net file"]


def test_a_net_file_over_the_size_limit_is_refused_at_once(tmp_path, monkeypatch):
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:
        f.truncate(50 * 2**20)                 # 50 MiB (sparse): never read
    assert problems(big) == [f"{big}: 50.0 MiB, more than the limit of 16.0 MiB for a net file "
                             "(raise it with PETRI_MAX_FILE_MIB)"]
    monkeypatch.setenv("PETRI_MAX_FILE_MIB", "0.0001")
    small = net_with_table(tmp_path / "n", "t.csv")
    assert problems(small) == [f"{small}: {small.stat().st_size:,} bytes, more than the limit "
                               "of 104 bytes for a net file (raise it with PETRI_MAX_FILE_MIB)"]


def test_the_size_limit_from_the_environment_must_be_a_number(tmp_path, monkeypatch):
    monkeypatch.setenv("PETRI_MAX_FILE_MIB", "lots")
    with pytest.raises(NetError) as e:
        read_bytes(net_with_table(tmp_path, "t.csv"))
    assert str(e.value) == "PETRI_MAX_FILE_MIB='lots' is not a number of MiB"


def test_a_table_in_the_nets_folder_or_below_is_read(tmp_path):
    path = net_with_table(tmp_path, "data/t.csv")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("p,v\nA,1\nB,2\n")
    assert load(path).tables["t"].rows == {"A": 1, "B": 2}


@pytest.mark.parametrize("file, why", [
    ("/etc/os-release", "is an absolute path"),
    ("../t.csv", "goes above the net's folder (..)"),
    ("data/../../t.csv", "goes above the net's folder (..)"),
])
def test_a_table_outside_the_nets_folder_is_refused(tmp_path, file, why):
    (tmp_path / "t.csv").write_text("p,v\nA,1\nB,2\n")
    path = net_with_table(tmp_path / "net", file)
    assert problems(path) == [
        f"{path}: table 't': CSV file {file!r} {why}; it must lie in the net's folder; allow it "
        "with --allow-outside-tables (allow_outside=True in Python)"]


def test_a_table_reached_through_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "t.csv").write_text("p,v\nA,1\nB,2\n")
    path = net_with_table(tmp_path / "net", "data/t.csv")
    (tmp_path / "net" / "data").symlink_to(tmp_path / "secret")
    assert problems(path) == [
        f"{path}: table 't': CSV file 'data/t.csv' leads out of the net's folder through a "
        "symbolic link; allow it with --allow-outside-tables (allow_outside=True in Python)"]
    assert load(path, allow_outside=True).tables["t"].rows == {"A": 1, "B": 2}


def test_allow_outside_reads_a_table_above_the_folder(tmp_path):
    (tmp_path / "t.csv").write_text("p,v\nA,1\nB,2\n")
    path = net_with_table(tmp_path / "net", "../t.csv")
    assert load(path, allow_outside=True).tables["t"].rows == {"A": 1, "B": 2}


def test_a_file_that_is_not_a_table_is_not_echoed(tmp_path):
    (tmp_path / "secret.csv").write_text('PASSWORD="hunter2 is secret"\nline two\n')
    path = net_with_table(tmp_path, "secret.csv")
    assert problems(path) == [
        f"{path}: table 't': CSV file 'secret.csv' has no column 'p' (its first line is not a "
        "header of column names)",
        f"{path}: table 't': CSV file 'secret.csv' has no column 'v' (its first line is not a "
        "header of column names)"]


def test_a_fifo_given_as_a_table_is_refused(tmp_path):
    path = net_with_table(tmp_path, "t.csv")
    os.mkfifo(tmp_path / "t.csv")
    assert problems(path) == [
        f"{path}: table 't': CSV file 't.csv': is a FIFO (named pipe), not a CSV file"]


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def test_outputs_are_not_written_over_existing_files_without_force(tmp_path):
    out = tmp_path / "out.txt"
    write_output(out, "one\n")
    with pytest.raises(NetError) as e:
        write_output(out, "two\n")
    assert str(e.value) == f"{out}: already exists; use --force to overwrite it"
    write_output(out, "two\n", force=True)
    assert out.read_text() == "two\n"


def test_outputs_are_not_written_through_symbolic_links(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with pytest.raises(NetError) as e:
        write_output(link, "x\n", force=True)
    assert str(e.value) == (f"{link}: is a symbolic link; outputs are not written through links "
                            "(give the path of the file itself)")
    assert target.read_text() == "keep\n"


def test_an_output_over_a_file_read_by_the_same_command_is_refused(tmp_path):
    path = net_with_table(tmp_path, "t.csv")
    (tmp_path / "t.csv").write_text("p,v\nA,1\nB,2\n")
    with reading_inputs():
        load(path)
        for f in (path, tmp_path / "t.csv"):
            with pytest.raises(NetError) as e:
                check_output(f, force=True)
            assert str(e.value) == f"{f}: is an input of this command; write the output to " \
                                   "another file"
    check_output(path, force=True)          # outside a command nothing is remembered


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old\n")
    with pytest.raises(KeyboardInterrupt):
        with output(out, force=True) as tmp:
            Path(tmp).write_text("half")
            raise KeyboardInterrupt
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_an_output_gets_the_usual_permissions(tmp_path):
    out = tmp_path / "out.txt"
    mask = os.umask(0o022)
    try:
        write_output(out, "x")
    finally:
        os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o644


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "..", "."]), min_size=1, max_size=6))
def test_a_relative_path_is_inside_exactly_when_it_never_climbs_above_the_folder(parts):
    """Walking the path from the folder, one part at a time: inside if it never goes above."""
    depth, lowest = 0, 0
    for part in parts:
        depth += {"..": -1, ".": 0}.get(part, 1)
        lowest = min(lowest, depth)
    folder = ROOT / "tests" / "data"           # a real folder without symbolic links
    name = "/".join(parts)
    if lowest >= 0:
        assert inside(folder, name) == os.path.join(folder, name)
    else:
        with pytest.raises(NetError, match=r"goes above the net's folder \(\.\.\)"):
            inside(folder, name)


def test_a_compressed_policy_that_unpacks_past_the_limit_is_refused(tmp_path, monkeypatch):
    import zipfile
    from control.policy import PolicyError, load_policy
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.npy", b"\0" * (3 * 2**20))           # 3 MiB of zeros, a few KiB packed
    assert bomb.stat().st_size < 2**20 // 10
    monkeypatch.setenv("PETRI_MAX_FILE_MIB", "2")
    with pytest.raises(PolicyError) as e:
        load_policy(bomb)
    assert str(e.value) == (f"{bomb}: unpacks to 3,145,728 bytes, more than the limit of "
                            "2,097,152 for a policy file (raise it with PETRI_MAX_FILE_MIB)")

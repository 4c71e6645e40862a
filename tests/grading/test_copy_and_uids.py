"""Issue 19.10: a submission is copied as files, folders and links only,
and each grader running takes uids no other one has."""

import os
from pathlib import Path

import pytest

from conftest import odd_tree, remove_tree
from echo_conformance.grade import inside, runner

UID = 61099


def job(src, tmp_path):
    return {"src": str(src), "workdir": str(tmp_path / "copy"), "uid": UID}


def test_a_fifo_refuses_the_submission_with_the_reason(tmp_path):
    src = odd_tree("fifo", tmp_path / "sub")
    with pytest.raises(inside.Refused, match="'pipe' is a FIFO: only regular files"):
        inside.copy_submission(job(src, tmp_path))


def test_a_tree_1200_folders_deep_refuses_the_submission_with_the_reason(tmp_path):
    src = odd_tree("deep", tmp_path / "sub")
    try:
        with pytest.raises(inside.Refused, match=f"more than {inside.MAX_DEPTH} folders deep"):
            inside.copy_submission(job(src, tmp_path))
    finally:
        remove_tree(src)


def test_the_copy_holds_files_folders_and_links_not_followed_all_the_uids(tmp_path):
    src = tmp_path / "sub"
    (src / "lib").mkdir(parents=True)
    (src / "lib" / "echo.c").write_text("int x;\n")
    (src / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(src / "run.sh", 0o700)
    os.symlink("/etc/passwd", src / "passwd")
    inside.copy_submission(job(src, tmp_path))
    copy = tmp_path / "copy"
    assert (copy / "lib" / "echo.c").read_text() == "int x;\n"
    assert os.readlink(copy / "passwd") == "/etc/passwd"
    assert os.access(copy / "run.sh", os.X_OK)
    owners = {p.lstat().st_uid for p in [copy, *copy.rglob("*")]}
    assert owners == {UID}


def _subordinate_ranges():
    ranges = []
    for name in ("/etc/subuid", "/etc/subgid"):
        if os.path.exists(name):
            for line in Path(name).read_text().splitlines():
                fields = line.split(":")
                if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                    ranges.append((int(fields[1]), int(fields[1]) + int(fields[2])))
    # useradd's defaults (login.defs SUB_UID_MIN..SUB_UID_MAX + SUB_UID_COUNT)
    ranges.append((100000, 600100000 + 65536))
    return ranges


def test_two_graders_hold_disjoint_uid_ranges_outside_the_subordinate_ones(tmp_path):
    first_fd, first = runner.allocate_uids(tmp_path / "locks")
    second_fd, second = runner.allocate_uids(tmp_path / "locks")
    try:
        size = runner.UIDS_PER_GRADER
        assert first + size <= second or second + size <= first
        for start in (first, second):
            for low, high in _subordinate_ranges():
                assert start + size <= low or start >= high
    finally:
        os.close(first_fd)
        os.close(second_fd)


def test_a_uid_range_is_free_again_once_its_grader_ends(tmp_path):
    fd, first = runner.allocate_uids(tmp_path / "locks")
    os.close(fd)        # as at the grader's exit, however it ends
    again_fd, again = runner.allocate_uids(tmp_path / "locks")
    os.close(again_fd)
    assert again == first

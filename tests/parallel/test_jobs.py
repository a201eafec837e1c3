"""The Kaldi call form: job ranges, command quoting, per-job substitution, launcher arguments."""
from __future__ import annotations

from pathlib import Path

import pytest

from jsertk.parallel import joblog
from jsertk.parallel.jobs import JobRange, expand_jobs, parse_job_range, shell_command
from jsertk.parallel.launch_args import parse_launch_args


def test_job_ranges():
    assert parse_job_range("JOB=1:4") == JobRange("JOB", 1, 4)
    assert list(parse_job_range("SPLIT=3").indices) == [3]
    assert parse_job_range("exp/log/x.log") is None and parse_job_range("JOB=a:b") is None
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_job_range("JOB=4:1")


def test_words_are_joined_as_kaldi_run_pl_does():
    cmd = shell_command(["echo", "a b", 'say "hi"', "|", "tr", "a-z", "A-Z", ">", "$out"])
    assert cmd == 'echo "a b" \'say "hi"\' | tr a-z A-Z > $out'


def test_job_number_replaces_the_name_everywhere():
    jobs = expand_jobs(parse_job_range("JOB=1:3"), "exp/log/fbank.JOB.log",
                       ["jsertk", "compute-fbank", "--job", "JOB", "--nj", "3", "out/JOB"])
    assert [j.log for j in jobs] == [Path(f"exp/log/fbank.{k}.log") for k in (1, 2, 3)]
    assert jobs[1].command == "jsertk compute-fbank --job 2 --nj 3 out/2"
    single = expand_jobs(None, "exp/log/one.log", ["echo", "JOB"])
    assert len(single) == 1 and single[0].command == "echo JOB"
    with pytest.raises(ValueError, match="does not contain 'JOB'"):
        expand_jobs(parse_job_range("JOB=1:2"), "exp/log/same.log", ["true"])


def test_launcher_options_resources_and_command_are_told_apart():
    opts, rng, log, words = parse_launch_args(
        ["--backend", "slurm", "--mem", "4G", "--max-jobs", "2", "--gpu=1", "--only-failed", "JOB=1:3", "x.JOB.log",
         "cmd", "--max-jobs", "9", "--job", "JOB"])
    assert (opts.backend, opts.max_jobs, opts.only_failed) == ("slurm", 2, True)
    assert opts.resources == {"mem": "4G", "gpu": "1"}
    assert rng == JobRange("JOB", 1, 3) and log == "x.JOB.log"
    assert words == ["cmd", "--max-jobs", "9", "--job", "JOB"]  # the command's own options stay its own
    opts, rng, log, words = parse_launch_args(["--num-threads", "4", "one.log", "true"])
    assert rng is None and log == "one.log" and opts.resources == {"num_threads": "4"}
    with pytest.raises(ValueError, match="usage"):
        parse_launch_args(["JOB=1:2", "x.JOB.log"])
    with pytest.raises(ValueError, match="needs a number"):
        parse_launch_args(["--max-jobs", "many", "x.log", "true"])


def test_log_footer_is_read_back(tmp_path):
    log = tmp_path / "x.log"
    log.write_text(joblog.header("echo hi") + "hi\n" + joblog.footer(0, 1.2))
    assert joblog.exit_code(log) == 0
    assert joblog.succeeded_before(log, "echo hi") and not joblog.succeeded_before(log, "echo other")
    log.write_text(joblog.header("echo hi") + "half way\n")
    assert joblog.exit_code(log) is None and not joblog.succeeded_before(log, "echo hi")

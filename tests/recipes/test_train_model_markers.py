"""steps/lib.sh train_model: a finished run of the same settings is skipped, an interrupted one
resumed, and a run of other settings trained again from scratch (never resumed: its checkpoint
belongs to another model). The trainer is a stand-in script that records how it was called."""
import subprocess
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "egs" / "TEMPLATE" / "jser1" / "steps" / "lib.sh"

# train_cmd LOG cmd...: records the call, then writes the files a training run leaves behind.
FAKE_TRAINER = r"""#!/usr/bin/env bash
shift  # the launcher's log file
echo "$*" >> "$CALLS"
out=; prev=
for a in "$@"; do [ "$prev" = --outdir ] && out=$a; prev=$a; done
[ -z "$FAIL" ] || { touch "$out/checkpoint.pth"; exit 1; }
touch "$out/checkpoint.pth" "$out/model.pth"
"""


def train(tmp_path: Path, *args: str, fail: bool = False) -> subprocess.CompletedProcess:
    script = (f'set -euo pipefail; ngpu=0; train_cmd="{tmp_path}/fake.sh"; source "{LIB}"; '
              f'train_model 4 "{tmp_path}/exp" ' + " ".join(args))
    env = {"PATH": "/usr/bin:/bin", "CALLS": str(tmp_path / "calls"), "FAIL": "1" if fail else ""}
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []


def test_train_model_skips_resumes_and_retrains_on_other_settings(tmp_path):
    fake = tmp_path / "fake.sh"
    fake.write_text(FAKE_TRAINER)
    fake.chmod(0o755)

    assert train(tmp_path, "--config a.yaml").returncode == 0
    assert len(calls(tmp_path)) == 1 and "--resume" not in calls(tmp_path)[0]

    res = train(tmp_path, "--config a.yaml")  # same settings: done before
    assert res.returncode == 0 and "done before, skipped" in res.stderr and len(calls(tmp_path)) == 1

    (tmp_path / "exp" / "decode_test").mkdir()
    res = train(tmp_path, "--config b.yaml")  # other settings: from scratch, the old run removed
    assert res.returncode == 0 and "trained with other settings" in res.stderr
    assert "--resume" not in calls(tmp_path)[-1] and "b.yaml" in calls(tmp_path)[-1]
    assert not (tmp_path / "exp" / "decode_test").exists()
    assert (tmp_path / "exp" / ".done.stage4").read_text().strip() == "jsertk train --config b.yaml"

    # interrupted (a checkpoint, no .done marker), then run again with the same settings: resumed
    assert train(tmp_path, "--config c.yaml", fail=True).returncode != 0
    assert not (tmp_path / "exp" / ".done.stage4").exists()
    res = train(tmp_path, "--config c.yaml")
    assert res.returncode == 0 and calls(tmp_path)[-1].endswith("--resume")

    # interrupted, then started with other settings: not resumed
    assert train(tmp_path, "--config d.yaml", fail=True).returncode != 0
    res = train(tmp_path, "--config e.yaml")
    assert res.returncode == 0 and "--resume" not in calls(tmp_path)[-1] and "e.yaml" in calls(tmp_path)[-1]

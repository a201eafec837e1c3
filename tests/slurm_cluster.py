"""Whether a real Slurm cluster answers here (tools/slurm/local_cluster.sh starts a one-node one);
tests that need it skip with this reason otherwise."""
from __future__ import annotations

import shutil
import subprocess


def cluster_missing() -> str | None:
    """None when `sinfo` reports a usable node, else why not and how to get one."""
    how = "apt-get install slurm-wlm munge, then tools/slurm/local_cluster.sh start (as root)"
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return f"Slurm is not installed; to run these tests: {how}"
    try:
        proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"sinfo failed ({e}); start a cluster: {how}"
    states = proc.stdout.split()
    if proc.returncode != 0 or not any(s.rstrip("*") in ("idle", "mixed", "allocated") for s in states):
        return f"no Slurm node is up (sinfo: {proc.stdout.strip() or proc.stderr.strip()}); start one: {how}"
    return None

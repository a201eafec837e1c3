# shellcheck shell=bash
# Where parallel jobs run. Stages call them in Kaldi's form:
#     ${feats_cmd} JOB=1:${nj} exp/log/fbank.JOB.log jsertk compute-fbank ... --job JOB
# cmd_backend: local (processes on this machine) or slurm (sbatch --array, waits, fails loudly
# with the log path; resource options such as "--gpu 1 --mem 8G" go through conf/slurm.conf
# when the recipe has one, else the launcher's built-in conf).
# Set from the environment: cmd_backend=slurm cmd_max_jobs=50 ./run.sh
cmd_backend=${cmd_backend:-local}   # local or slurm
cmd_max_jobs=${cmd_max_jobs:-}      # jobs at once; empty: local = number of CPUs, slurm = no cap

case "${cmd_backend}" in
  local|slurm) ;;
  *) echo "cmd.sh: cmd_backend must be local or slurm, got '${cmd_backend}'" >&2; return 1 ;;
esac
_launch="jsertk launch --backend ${cmd_backend}${cmd_max_jobs:+ --max-jobs ${cmd_max_jobs}}"
export train_cmd="${_launch}"   # training jobs (add --gpu N for GPUs)
export decode_cmd="${_launch}"  # decoding and scoring jobs
export feats_cmd="${_launch}"   # feature extraction jobs
unset _launch

#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (slurmctld + slurmd on localhost, munge
# authentication), for testing the slurm job backend for real (tests/parallel/test_slurm_cluster.py).
#
#   tools/slurm/local_cluster.sh start   # writes /etc/slurm/slurm.conf, starts munged, slurmctld, slurmd
#   tools/slurm/local_cluster.sh stop
#
# Needs root and the Debian packages slurm-wlm and munge (apt-get install slurm-wlm munge;
# Slurm 22.05 on Debian 12). One partition `debug` holding this node with all its CPUs and
# memory; no cgroups (proctrack/linuxproc), so it runs inside containers too.
set -euo pipefail

action=${1:-start}
conf=/etc/slurm/slurm.conf
state=/var/spool/slurmctld
spool=/var/spool/slurmd
logs=/var/log/slurm

stop() {
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
}

if [ "${action}" = stop ]; then stop; exit 0; fi
if [ "${action}" != start ]; then echo "usage: $0 start|stop" >&2; exit 1; fi
for tool in slurmctld slurmd munged sinfo; do
  if ! command -v "${tool}" > /dev/null; then
    echo "local_cluster.sh: ${tool} not found; install the packages: apt-get install slurm-wlm munge" >&2
    exit 1
  fi
done
if [ "$(id -u)" -ne 0 ]; then echo "local_cluster.sh: run me as root" >&2; exit 1; fi

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
mkdir -p "${state}" "${spool}" "${logs}" /etc/slurm /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2> /dev/null
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2> /dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged > /dev/null || su -s /bin/sh munge -c "munged" || munged --force

cat > "${conf}" <<CONF
ClusterName=jsertk-local
SlurmctldHost=${host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
StateSaveLocation=${state}
SlurmdSpoolDir=${spool}
SlurmctldLogFile=${logs}/slurmctld.log
SlurmdLogFile=${logs}/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=5
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
stop
slurmctld
slurmd
for _ in $(seq 60); do
  if sinfo -h -o %T 2> /dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "local_cluster.sh: one-node cluster up: $(sinfo -h -o '%P %D %c %m %T')"
    exit 0
  fi
  sleep 1
done
echo "local_cluster.sh: the node did not come up; logs: ${logs}/slurmctld.log ${logs}/slurmd.log" >&2
sinfo >&2 || true
tail -20 "${logs}/slurmctld.log" "${logs}/slurmd.log" >&2 || true
exit 1

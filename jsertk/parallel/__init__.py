"""Job arrays behind Kaldi's call form (`$cmd JOB=1:N LOGFILE COMMAND...`): local and Slurm backends."""

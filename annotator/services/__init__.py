"""Every write, as plain functions that views, commands and tasks call; import each module
where it lives (the job kinds register in services/jobs.py's load_runners)."""

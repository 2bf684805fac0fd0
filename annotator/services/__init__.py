"""Every write, as plain functions that views, commands and tasks call; import each module
where it lives. The job kinds are in annotator/jobs/registry.py."""

"""arq workers: thin jobs that load by id, call a service and record the outcome."""

"""Ansible playbooks (package data): health.yml, reset-reason.yml and their action plugin."""

"""The air-gap tool: the bundle builder (wheelhouse, SBOM, checksums, one archive), the offline
installer it ships (install.sh), on-prem mirror configuration and cloud-init user-data.

Shell scripts and templates here are package data; the Python modules import only the kernel
(`diag.errors`, `diag.files`) and `schemas`.
"""

"""CMDB exports: envelopes → one asset record per host → ServiceNow, NetBox or CSV."""

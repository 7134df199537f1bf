"""`diagctl export prometheus`: envelopes to Prometheus metrics (docs/exporters.md#prometheus).

metrics.py   the catalogue (names, types, help, labels) and the SampleSet
kinds/       the per-kind table: envelope kind -> samples
render.py    envelopes -> samples -> text exposition format
textfile.py  node_exporter textfile collector output
push.py      Pushgateway push, with spool.py: a bounded on-disk spool drained in order
serve.py     a small HTTP exporter that re-reads its sources on scrape
"""

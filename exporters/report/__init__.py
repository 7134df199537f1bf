"""`diagctl report --html`: one self-contained page of a run (exporters/report/page.html.j2)."""

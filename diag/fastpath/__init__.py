"""`diagctl health --local` without click or pydantic: the common invocation, answered by the
stdlib, the checks and `json` (the click path stays the reference; anything unusual goes there).
"""

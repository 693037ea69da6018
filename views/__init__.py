"""Pure markup builders: plain data and a language in, Dash components out."""

SHOWN: dict[str, str] = {}  # a style that leaves an element as its CSS has it
HIDDEN = {"display": "none"}

"""What every other package stands on: ``Settings``, the one error hierarchy
(``errors``), the i18n catalogue and owned child processes (``children``).

Imports: the standard library and third-party packages only; nothing else of ``services``.
"""

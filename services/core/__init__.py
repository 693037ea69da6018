"""What every other package stands on: ``Settings``, the one error hierarchy
(``errors``), the i18n catalogue, the health report and owned child processes.

Imports: the standard library and third-party packages only (``health`` also asks the
sensor service over HTTP); nothing else of ``services``.
"""

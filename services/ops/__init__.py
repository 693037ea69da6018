"""Running looplens and telling the truth about it: the supervisor that owns every
component (``supervisor``) and the health report (``health``).

Imports: ``services.core``, and the packages whose components it checks
(``services.sensors``, ``services.live``, ``services.tracing``).
"""

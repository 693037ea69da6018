"""The seed demos (``programs``; the gevent one in its own process, ``gevent_demo``):
small programs about callbacks, tasks, pools, events, timers and greenlets, each
returning a log of message keys and a timeline.

Imports: ``services.core``, ``services.tracing`` (the asyncio demos' timelines).
"""

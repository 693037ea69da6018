"""looplens's services: everything the app does, with no Dash in it.

One package per domain; a package may import only those listed in its own docstring.

    core      settings, the error hierarchy, the i18n catalogue, child processes
    sensors   the station fleet, the reading model, the simulated sensor service, its client
    live      the collector, the reading store and its metadata, what a Live page shows
    tracing   the event-loop tracer, traced process pools, the trace hub, view and export
    lab       one workload under every execution model, and the run process around it
    demos     the seed demos
    sources   where readings come from: the simulator, MQTT, Open-Meteo, Home Assistant
    ops       the supervisor of every component, the health report
"""

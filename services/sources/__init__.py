"""Where readings come from: one small protocol (``base``), one module per kind of source.

    model         what a source reports: its sensors, their readings, its status
    base          the protocol and the base class every source builds on (a bounded
                  reading queue, rejected messages, per-sensor state)
    clean         units to °C, implausible values refused
    simulator     our own sensor service, polled over HTTP (the embedded default)
    mqtt          a broker: connect, subscribe, reconnect; ``mqtt_parse`` (one message in,
                  events out) and ``mqtt_topics`` (topic shapes, HA discovery) read it
    fetching      what the HTTP sources share: failures, backoff, a size-capped body
    openmeteo     weather for named places or coordinates
    homeassistant a Home Assistant server, REST then its WebSocket API
    config        the sources file (TOML): read, check, write
    manager       runs the configured sources, applies changes to the file while running

Imports: ``services.core``, ``services.sensors`` (the simulator's client).
"""

"""Every component id of the app, in one place."""

LANG = "lang"
LANG_LABEL = "lang-label"  # the language switch's name, for screen readers
PAGE_TITLES = "page-titles"  # store: each page's tab title in every language
HTML_LANG = "html-lang"  # store: set with <html lang> when the language changes (screen readers, fonts)
OPERATOR_TOKEN = "operator-token"  # in the shell: the token actions need, when one is set
PAGES_LOCATION = "_pages_location"  # Dash pages' own dcc.Location
PAGES_STORE = "_pages_store"  # Dash pages' own store: {"title": the page's registered title}
I18N = "i18n"  # pattern-matching type: {"type": I18N, "key": <services.core.i18n key>}

QUERY_INPUT = "query-input"
QUERY_SUBMIT = "query-submit"
QUERY_CANCEL = "query-cancel"
QUERY_RETRY = "query-retry"
QUERY_PROGRESS = "query-progress"
QUERY_JOB = "query-job"  # store: the station id a job should fetch
QUERY_RESULT = "query-result"  # store: the job's outcome or failure, as plain data
QUERY_OUTPUT = "query-output"

LIVE_STATIONS = "live-stations"
LIVE_RANGE = "live-range"
LIVE_UNIT = "live-unit"
LIVE_PAUSE = "live-pause"
LIVE_EXPORT = "live-export"
LIVE_DOWNLOAD = "live-download"
LIVE_TEMP_LOW = "live-temp-low"
LIVE_TEMP_HIGH = "live-temp-high"
LIVE_HUM_LOW = "live-hum-low"
LIVE_HUM_HIGH = "live-hum-high"
LIVE_MESSAGE = "live-message"
LIVE_BANNER = "live-banner"
LIVE_STATUS = "live-status"
LIVE_CARDS = "live-cards"  # where assets/cards.js draws the cards
LIVE_CARDS_DATA = "live-cards-data"  # store: what the cards show (views.live.make_cards)
LIVE_GRAPH = "live-graph"
LIVE_FROM = "live-from"  # date inputs: a from–to range instead of a preset
LIVE_TO = "live-to"
LIVE_RESOLUTION = "live-resolution"  # what the chart and cards are made of ("hourly statistics")
LIVE_DAILY_BOX = "live-daily-box"  # under a long range (hidden otherwise): the per-day table and its export
LIVE_DAILY = "live-daily"
LIVE_DAILY_GRID = "live-daily-grid"
LIVE_DAILY_EXPORT = "live-daily-export"
LIVE_DAILY_DOWNLOAD = "live-daily-download"
LIVE_RENDER = "live-render"  # store: a new value each time the page is drawn, passed on in the view
# In the shell, so a page's stream can always ask for them:
LIVE_VIEW = "live-view"  # store: what the Live page asks its stream to show; empty elsewhere
LIVE_SHOWN = "live-shown"  # store, set by the stream: the shown window's end and last row id
LIVE_BEAT = "live-beat"  # store, set by the stream at least every second it runs
LIVE_STREAM = "live-stream"  # store: the number of the page's newest stream (see callbacks.live)
LIVE_WATCHDOG = "live-watchdog"  # interval on the Live page: starts a stream when beats stop


def live_card(station: str) -> str:
    """A station's card (drawn under this id by assets/cards.js)."""
    return f"live-card-{station}"


def live_card_field(station: str, field: str) -> str:
    """A card's field (assets/cards.js names it so, after its card)."""
    return f"live-card-{station}-{field}"


TRACE_VIEW = "trace-view"  # store: the page's settings and its stream's number
TRACE_STREAM = "trace-stream"  # store: the number of the page's newest stream (see callbacks.watchdog)
TRACE_ENDED = "trace-ended"  # store: the stream's Output (set when it returns)
TRACE_BEAT = "trace-beat"  # store, set by the stream at least every second it runs
TRACE_WATCHDOG = "trace-watchdog"  # interval: starts a stream when beats stop
TRACE_LOOP = "trace-loop"
TRACE_WINDOW = "trace-window"
TRACE_INTERNAL = "trace-internal"
TRACE_SLOW_MS = "trace-slow-ms"
TRACE_PAUSE = "trace-pause"
TRACE_BLOCK_MS = "trace-block-ms"
TRACE_BLOCK = "trace-block"
TRACE_JOBS = "trace-jobs"
TRACE_EXPORT = "trace-export"
TRACE_DOWNLOAD = "trace-download"
TRACE_RECORD = "trace-record"  # an agent's recording: start
TRACE_RECORD_STOP = "trace-record-stop"
TRACE_MESSAGE = "trace-message"
TRACE_NOTE = "trace-note"  # store: the last action's outcome as a message key and values (shown in the page's language)
TRACE_STATUS = "trace-status"
TRACE_COUNTERS = "trace-counters"
TRACE_GRAPH = "trace-graph"
TRACE_SLOW = "trace-slow"
TRACE_SLOW_TITLE = "trace-slow-title"  # the slow table's heading, which names its scrolling region
TRACE_TASK = "trace-task"  # store: the serial of the task being inspected
TRACE_INSPECT = "trace-inspect"
TRACE_CANCEL = "trace-cancel"
TRACE_AGENTS = "trace-agents"  # store (the browser's): the agents this page added, [{"id", "url"}], no token
TRACE_AGENT_URL = "trace-agent-url"
TRACE_AGENT_TOKEN = "trace-agent-token"
TRACE_AGENT_ADD = "trace-agent-add"
TRACE_DIAGNOSIS = "trace-diagnosis"
TRACE_DIAGNOSIS_TITLE = "trace-diagnosis-title"
TRACE_TRACKS = "trace-tracks"  # graph: an agent's counter tracks and executor lanes
TRACE_TRACKS_BOX = "trace-tracks-box"  # shown only when there is a track to draw
TRACE_MAIN = "trace-main"  # the timeline, and the task tree beside it for an agent
TRACE_REPLAY_FILE = "trace-replay-file"  # dropdown: the recording replayed (a name in the recordings folder)
TRACE_REPLAY_OTHER = "trace-replay-other"  # dropdown: the recording compared with it
TRACE_REPLAY_UPLOAD = "trace-replay-upload"
TRACE_REPLAY_ADDED = "trace-replay-added"  # store: the name of the last recording uploaded (lists anew)
TRACE_REPLAY_AT = "trace-replay-at"  # slider: seconds from the recording's start
TRACE_REPLAY_STATUS = "trace-replay-status"
TRACE_REPLAY_BODY = "trace-replay-body"  # the replayed views, shown once a recording is open
TRACE_REPLAY_COUNTERS = "trace-replay-counters"
TRACE_REPLAY_GRAPH = "trace-replay-graph"
TRACE_REPLAY_TRACKS_BOX = "trace-replay-tracks-box"
TRACE_REPLAY_TRACKS = "trace-replay-tracks"
TRACE_REPLAY_SLOW = "trace-replay-slow"
TRACE_REPLAY_SLOW_TITLE = "trace-replay-slow-title"
TRACE_REPLAY_DIAGNOSIS = "trace-replay-diagnosis"
TRACE_REPLAY_COMPARE = "trace-replay-compare"
TRACE_REPLAY_EXPORT = "trace-replay-export"
TRACE_REPLAY_DOWNLOAD = "trace-replay-download"
TRACE_TREE = "trace-tree"
TRACE_TREE_TITLE = "trace-tree-title"
TRACE_TREE_TASK = "trace-tree-task"  # pattern id type: a task's name in the tree ({"type", "index": serial})
TRACE_FINDING = "trace-finding"  # pattern id type: a finding's "show its rows" button ({"type", "index"})

LAB_N = "lab-n"
LAB_LATENCY = "lab-latency"
LAB_CPU = "lab-cpu"
LAB_WORKERS = "lab-workers"
LAB_ENGINES = "lab-engines"
LAB_TRACE = "lab-trace"  # checklist: trace the asyncio engine's loop
LAB_TRACE_GET = "lab-trace-get"  # button: download that loop trace
LAB_TRACE_FILE = "lab-trace-file"  # dcc.Download
LAB_RUN = "lab-run"
LAB_CANCEL = "lab-cancel"
LAB_MESSAGE = "lab-message"
LAB_NOTE = "lab-note"  # store: what LAB_MESSAGE says, as a message key (worded in the page's language)
LAB_OUTCOME = "lab-outcome"  # why the last run failed, if it did
LAB_JOB = "lab-job"  # store: the checked workload a run should use
LAB_RESULT = "lab-result"  # store: the finished run, as plain data
LAB_PROGRESS = "lab-progress"
LAB_PROGRESS_DATA = "lab-progress-data"  # store, set by the running job: the run so far, as plain data
LAB_RUN_PID = "lab-run-pid"  # store, set by the running job: its pid (Cancel checks it)
LAB_LANES = "lab-lanes"
LAB_TABLE = "lab-table"
LAB_BARS = "lab-bars"

DEMO_RUN = "demo-run"  # pattern-matching type: {"type": DEMO_RUN, "demo": <name>}
DEMO_SPEED = "demo-speed"
DEMO_JOB = "demo-job"  # store: the demo to run
DEMO_RESULT = "demo-result"  # store: its log and timeline, as plain data
DEMO_STATUS = "demo-status"
DEMO_LOG = "demo-log"
DEMO_GRAPH = "demo-graph"

SOURCES_TICK = "sources-tick"  # interval: the table and the chosen source's details refresh
SOURCES_TABLE = "sources-table"
SOURCES_PICK = "sources-pick"  # dropdown: the source whose sensors and rejects are shown
SOURCES_DETAIL = "sources-detail"
SOURCES_KIND = "sources-kind"
SOURCES_EDITING = "sources-editing"  # store: the name of the source the form edits (None: a new one)
SOURCES_FORM_TITLE = "sources-form-title"
SOURCES_SAVE = "sources-save"
SOURCES_TEST = "sources-test"
SOURCES_NEW = "sources-new"
SOURCES_EDIT = "sources-edit"
SOURCES_TOGGLE = "sources-toggle"
SOURCES_REMOVE = "sources-remove"
SOURCES_MESSAGE = "sources-message"
SOURCES_CHANGED = "sources-changed"  # store: bumped when the file changed, so the table refreshes
SOURCES_GROUP = "sources-group"  # pattern-matching type: {"type": SOURCES_GROUP, "kind": kind}
SOURCES_OPTION = "sources-option"  # pattern-matching type: {"type": SOURCES_OPTION, "option": name}

FLEET_VIEW = "fleet-view"  # store: the page's language, thresholds, rows on screen and its stream's number
FLEET_STREAM = "fleet-stream"  # store: the number of the page's newest stream (see callbacks.streaming)
FLEET_ENDED = "fleet-ended"  # store: the stream's Output (set when it returns)
FLEET_BEAT = "fleet-beat"  # store, set by the stream at least every second it runs
FLEET_WATCHDOG = "fleet-watchdog"  # interval: starts a stream when beats stop; reports the rows on screen
FLEET_STATUS = "fleet-status"
FLEET_FIND = "fleet-find"
FLEET_SOURCE = "fleet-source"
FLEET_STATE = "fleet-state"  # the status filter
FLEET_TEMP_LOW = "fleet-temp-low"
FLEET_TEMP_HIGH = "fleet-temp-high"
FLEET_HUM_LOW = "fleet-hum-low"
FLEET_HUM_HIGH = "fleet-hum-high"
FLEET_LIMITS = "fleet-limits"  # store, kept by the browser: the last thresholds typed that could be used
FLEET_TABLE = "fleet-table"  # the grid's box (one grid per visit: the language switch relabels it)
FLEET_GRID = "fleet-grid"
FLEET_ROWS = "fleet-rows"  # store, set by the stream: the rows that changed, for the grid's transaction
FLEET_ROWS_SENT = "fleet-rows-sent"  # store, set by the stream after the rows: the push number that applies them
FLEET_APPLIED = "fleet-applied"  # store: how many pushed rows the grid has taken (a bench reads it)
FLEET_OPEN = "fleet-open"
FLEET_SELECTED = "fleet-selected"
FLEET_MESSAGE = "fleet-message"
FLEET_GO = "fleet-go"  # location: where Open on Live sends the browser
FLEET_HEAT = "fleet-heat"
FLEET_HEAT_BOX = "fleet-heat-box"  # holds FLEET_HEAT once the table is drawn
FLEET_HEAT_LEAD = "fleet-heat-lead"

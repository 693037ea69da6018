"""Every component id of the app, in one place."""

LANG = "lang"
I18N = "i18n"  # pattern-matching type: {"type": I18N, "key": <services.i18n key>}

QUERY_INPUT = "query-input"
QUERY_SUBMIT = "query-submit"
QUERY_CANCEL = "query-cancel"
QUERY_RETRY = "query-retry"
QUERY_PROGRESS = "query-progress"
QUERY_JOB = "query-job"  # store: the station id a job should fetch
QUERY_RESULT = "query-result"  # store: the job's outcome or failure, as plain data
QUERY_OUTPUT = "query-output"

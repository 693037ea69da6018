/* What _looptrace.c (the hot path and the module) and _looptrace_read.c (the reader's
 * passes) share. */
#ifndef LOOPTRACE_H
#define LOOPTRACE_H

#include <Python.h>

enum { SOON = 0, THREADSAFE = 1, TIMER = 2, DONE_CALLBACK = 3 };  /* a row's kind (columns.py) */

PyObject *looptrace_scan(PyObject *mod, PyObject *args);
PyObject *looptrace_take(PyObject *mod, PyObject *args);
PyObject *looptrace_json_rows(PyObject *mod, PyObject *args);

#endif

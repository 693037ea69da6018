/* The tracer's hot path in C: what services/tracer.py does in Python closures when this
 * module is not built, with the same columns and the same rows.
 *
 * Hooks holds the loop's original call_soon / call_soon_threadsafe / call_at and writes
 * into the tracer's preallocated array('q') columns through the buffer protocol:
 *   callback ring: seq kind scheduled due start end task parent code   (row = seq % cap)
 *   task ring:     serial created lasti ended outcome parent  + lists coro site name
 *                                                                   (row = serial % tcap)
 *   box:           [next seq, seq of the callback running now (-1), next task serial]
 * Every scheduled callback reaches the loop wrapped in a Run, which times it. Live tasks' serials
 * are kept in an open-addressing table keyed by address (one probe, no Python objects).
 * Nothing on this path makes text; names are looked up when a reader asks (tracer.py).
 *
 * The reader's passes over the columns (scan, take, json_rows) are in _looptrace_read.c, of
 * the same module. Built by scripts/build_ext.py (the bootstrap runs it); tracer.py falls
 * back to Python when it is missing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "_looptrace.h"

enum { RUNNING = 0, DONE = 1, CANCELLED = 2, RAISED = 3 };
enum { C_SEQ, C_KIND, C_SCHED, C_DUE, C_START, C_END, C_TASK, C_PARENT, C_CODE,
       T_SERIAL, T_CREATED, T_LASTI, T_ENDED, T_OUTCOME, T_PARENT, BOX, NBUF };
enum { L_CORO, L_SITE, L_NAME, NLIST };
enum { NEXT_SEQ, RUNNING_SEQ, NEXT_SERIAL, NBOX };  /* the box: columns.py names the same slots */
#define EMPTY ((uintptr_t)0)  /* serial table slots; no object lives at address 0 or 1 */
#define GONE ((uintptr_t)1)

static PyObject *str_self, *str_state, *str_exception, *str_get_name, *str_cr_code, *str_qualname,
    *str_pending, *str_cancelled, *loop_kwnames;

static inline int64_t
now_ns(void)
{
    struct timespec ts;  /* time.perf_counter_ns() on Linux */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The C task's step callback (3.11's TaskStepMethWrapper); used only after a runtime
 * check that its first field is the task its __self__ returns. */
typedef struct {
    PyObject_HEAD
    PyObject *task;
    PyObject *arg;
} StepWrapper;

typedef struct {
    uintptr_t task;  /* an address, never dereferenced; EMPTY or GONE */
    int64_t serial;
} Slot;

typedef struct {
    PyObject_HEAD
    Py_buffer buf[NBUF];
    int64_t *c[NBUF];
    Py_ssize_t cap, tcap;
    PyObject *lists[NLIST];
    Slot *slots;            /* live tasks' serials; size 1 << bits */
    int bits;
    Py_ssize_t used;        /* slots not EMPTY (live and GONE) */
    PyObject *codes;        /* key -> code object, builtin's qualname or callable type */
    PyObject *task_type, *future_types, *asyncio_dir;
    PyObject *call_soon, *threadsafe, *call_at, *loop_time;
    int64_t last_code;      /* the last key put in codes (most rows repeat it) */
    PyTypeObject *step_type;  /* the task step wrapper's type, once checked */
    getter state_get;       /* Task._state's C getter, called without an attribute lookup */
    void *state_closure;
    PyCodeObject *inside[64];  /* code objects already found to be asyncio's own */
} Hooks;

/* One scheduled callback: what the loop calls in its place. A task step's Run is not
 * tracked by the garbage collector (no cycle can pass through it: nobody but the loop
 * holds a step's handle), which spares the collector one object per step; a plain
 * callback's Run is tracked, since user code keeps handles (timers) that can close a cycle. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *hooks;
    PyObject *callback;
    int64_t seq;
} Run;

static PyTypeObject HooksType, RunType, StepRunType;

/* -- task records ----------------------------------------------------------------------- */

static void
list_put(PyObject *list, Py_ssize_t row, PyObject *value)  /* steals value */
{
    PyObject *old = PyList_GET_ITEM(list, row);
    PyList_SET_ITEM(list, row, value);
    Py_XDECREF(old);
}

/* Tasks made one after another lie one after another in memory, and usually run in that
 * order: their slots keep that order (the address's low bits plus a scrambled high part),
 * so a lookup follows the last one and the table is read as a stream, not at random. */
static inline size_t
slot_of(uintptr_t task, int bits)
{
    uint64_t a = (uint64_t)task >> 4;
    return (size_t)((a + (a >> bits) * 0x9E3779B97F4A7C15ull) & (((uint64_t)1 << bits) - 1));
}

/* The slot holding task, or else the EMPTY slot where it would go. */
static Slot *
find(Hooks *h, uintptr_t task)
{
    size_t mask = ((size_t)1 << h->bits) - 1;
    for (size_t i = slot_of(task, h->bits);; i = (i + 1) & mask)
        if (h->slots[i].task == task || h->slots[i].task == EMPTY)
            return &h->slots[i];
}

static int
grow(Hooks *h)
{
    Slot *old = h->slots;
    size_t n = old ? (size_t)1 << h->bits : 0;
    Py_ssize_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += old[i].task > GONE;
    int bits = 10;
    while (((size_t)1 << bits) < (size_t)live * 4)
        bits++;
    Slot *slots = PyMem_Calloc((size_t)1 << bits, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    h->slots = slots;
    h->bits = bits;
    h->used = live;
    for (size_t i = 0; i < n; i++)
        if (old[i].task > GONE)
            *find(h, old[i].task) = old[i];
    PyMem_Free(old);
    return 0;
}

/* A live task's serial, given one (the next) when create; -1 when unknown. */
static int64_t
serial_of(Hooks *h, PyObject *task, int create)
{
    Slot *slot = find(h, (uintptr_t)task);
    if (slot->task != EMPTY || !create)
        return slot->task != EMPTY ? slot->serial : -1;
    if ((size_t)(h->used + 1) * 2 > (size_t)1 << h->bits) {
        if (grow(h) < 0)
            return -1;
        slot = find(h, (uintptr_t)task);
    }
    int64_t *box = h->c[BOX];
    slot->task = (uintptr_t)task;
    slot->serial = box[NEXT_SERIAL]++;
    h->used++;
    return slot->serial;
}

static int
same_text(PyObject *a, PyObject *b)
{
    return a == b || (PyUnicode_Check(a) && PyUnicode_Compare(a, b) == 0);
}

/* A step left its task done: how it ended, once per task. Reads _state and _exception, so
 * asyncio still logs an exception nobody retrieved. */
static void
finished(Hooks *h, PyObject *task, int64_t end)
{
    PyObject *state = h->state_get && Py_IS_TYPE(task, (PyTypeObject *)h->task_type)
        ? h->state_get(task, h->state_closure) : PyObject_GetAttr(task, str_state);
    if (state == NULL) {
        PyErr_Clear();
        return;
    }
    int pending = same_text(state, str_pending);
    int cancelled = !pending && same_text(state, str_cancelled);
    Py_DECREF(state);
    if (pending)
        return;
    PyErr_Clear();  /* of a failed comparison */
    Slot *slot = find(h, (uintptr_t)task);
    if (slot->task == EMPTY)
        return;
    int64_t serial = slot->serial;
    slot->task = GONE;  /* only live tasks are looked up by address */
    Py_ssize_t row = serial % h->tcap;
    if (h->c[T_SERIAL][row] != serial || h->c[T_OUTCOME][row] != RUNNING)
        return;
    int outcome = CANCELLED;
    if (!cancelled) {
        PyObject *exc = PyObject_GetAttr(task, str_exception);
        outcome = (exc == NULL || exc == Py_None) ? DONE : RAISED;
        if (exc == NULL)
            PyErr_Clear();
        Py_XDECREF(exc);
    }
    PyObject *name = PyObject_CallMethodNoArgs(task, str_get_name);
    if (name == NULL)
        PyErr_Clear();
    list_put(h->lists[L_NAME], row, name ? name : Py_NewRef(Py_None));
    h->c[T_ENDED][row] = end;
    h->c[T_OUTCOME][row] = outcome;
}

/* -- running a scheduled callback ------------------------------------------------------- */

/* The task a callback steps (borrowed), or NULL; *owned is a reference to release. */
static int
owner_of(Hooks *h, PyObject *callback, PyObject **owner, PyObject **owned)
{
    *owner = *owned = NULL;
    if (Py_IS_TYPE(callback, h->step_type))
        *owner = ((StepWrapper *)callback)->task;
    else if (PyMethod_Check(callback))
        *owner = PyMethod_GET_SELF(callback);
    else if (PyCFunction_Check(callback))
        *owner = PyCFunction_GET_SELF(callback);
    else if (!PyFunction_Check(callback)) {  /* the C task's step wrapper has __self__ */
        if (_PyObject_LookupAttr(callback, str_self, owned) < 0)
            return -1;
        *owner = *owned;  /* the callback keeps it alive */
        PyTypeObject *type = Py_TYPE(callback);
        if (*owner != NULL && h->step_type == NULL && strcmp(type->tp_name, "TaskStepMethWrapper") == 0
            && type->tp_basicsize == sizeof(StepWrapper) && ((StepWrapper *)callback)->task == *owner)
            h->step_type = type;
    }
    if (*owner != NULL && !PyObject_TypeCheck(*owner, (PyTypeObject *)h->task_type))
        *owner = NULL;
    return 0;
}

static PyObject *
run_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Run *r = (Run *)self;
    Hooks *h = (Hooks *)r->hooks;
    int64_t *box = h->c[BOX];
    int64_t outer = box[RUNNING_SEQ];
    box[RUNNING_SEQ] = r->seq;
    int64_t start = now_ns();
    PyObject *result = PyObject_Vectorcall(r->callback, args, nargsf, kwnames);
    int64_t end = now_ns();
    box[RUNNING_SEQ] = outer;
    Py_ssize_t row = r->seq % h->cap;
    if (h->c[C_SEQ][row] == r->seq) {  /* else the ring wrapped past it while it waited */
        h->c[C_START][row] = start;
        h->c[C_END][row] = end;
    }
    if (Py_IS_TYPE(self, &StepRunType)) {
        PyObject *type, *value, *tb, *task, *owned;
        PyErr_Fetch(&type, &value, &tb);  /* keep the callback's error for the loop */
        if (owner_of(h, r->callback, &task, &owned) == 0 && task != NULL)
            finished(h, task, end);
        Py_XDECREF(owned);
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    return result;
}

static PyObject *
run_repr(Run *r)
{
    return PyObject_Repr(r->callback);  /* what asyncio's debug messages would have shown */
}

static int
run_traverse(Run *r, visitproc visit, void *arg)
{
    Py_VISIT(r->hooks);
    Py_VISIT(r->callback);
    return 0;
}

static int
run_clear(Run *r)
{
    Py_CLEAR(r->hooks);
    Py_CLEAR(r->callback);
    return 0;
}

static void
run_dealloc(Run *r)
{
    PyObject_GC_UnTrack(r);
    run_clear(r);
    PyObject_GC_Del(r);
}

static void
step_run_dealloc(Run *r)
{
    run_clear(r);
    PyObject_Free(r);
}

static PyTypeObject RunType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "services.tracing._looptrace.Run",
    .tp_basicsize = sizeof(Run),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Run, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)run_repr,
    .tp_traverse = (traverseproc)run_traverse,
    .tp_clear = (inquiry)run_clear,
    .tp_dealloc = (destructor)run_dealloc,
};

static PyTypeObject StepRunType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "services.tracing._looptrace.StepRun",
    .tp_basicsize = sizeof(Run),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Run, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)run_repr,
    .tp_dealloc = (destructor)step_run_dealloc,
};

static PyObject *
new_run(Hooks *h, PyObject *callback, int step, int64_t seq)
{
    Run *r = step ? PyObject_New(Run, &StepRunType) : PyObject_GC_New(Run, &RunType);
    if (r == NULL)
        return NULL;
    r->vectorcall = run_vectorcall;
    r->hooks = Py_NewRef((PyObject *)h);
    r->callback = Py_NewRef(callback);
    r->seq = seq;
    if (!step)
        PyObject_GC_Track(r);
    return (PyObject *)r;
}

/* -- recording a scheduling ------------------------------------------------------------- */

static int
remember_code(Hooks *h, PyObject *callback, int64_t *key_out)
{
    PyObject *func = PyMethod_Check(callback) ? PyMethod_GET_FUNCTION(callback) : callback;
    PyObject *value;
    int64_t key;
    if (PyFunction_Check(func)) {
        value = PyFunction_GET_CODE(func);
        key = (int64_t)(intptr_t)value;
    }
    else if (PyCFunction_Check(func)) {  /* keyed by its method table, not the bound object */
        value = NULL;
        key = (int64_t)(intptr_t)((PyCFunctionObject *)func)->m_ml;
    }
    else {
        value = (PyObject *)Py_TYPE(func);
        key = (int64_t)(intptr_t)value;
    }
    *key_out = key;
    if (key == h->last_code)
        return 0;
    PyObject *k = PyLong_FromLongLong(key);
    if (k == NULL)
        return -1;
    int present = PyDict_Contains(h->codes, k);
    int rc = present;
    if (present == 0) {
        PyObject *v = value ? Py_NewRef(value) : PyObject_GetAttr(func, str_qualname);
        rc = v ? PyDict_SetItem(h->codes, k, v) : -1;
        Py_XDECREF(v);
    }
    Py_DECREF(k);
    if (rc < 0)
        return -1;
    h->last_code = key;
    return 0;
}

/* Writes the row of a callback being scheduled; returns its seq (-1: error). *step: the
 * callback steps a task. */
static int64_t
record(Hooks *h, int kind, int64_t now, int64_t due, PyObject *callback,
       PyObject *const *args, Py_ssize_t nargs, int *step)
{
    int64_t **c = h->c;
    int64_t *box = c[BOX];
    int64_t seq = box[NEXT_SEQ]++;
    Py_ssize_t row = seq % h->cap;
    c[C_SEQ][row] = seq;
    c[C_SCHED][row] = now;
    c[C_DUE][row] = due;
    c[C_START][row] = 0;
    c[C_END][row] = 0;
    c[C_PARENT][row] = kind == THREADSAFE ? -1 : box[RUNNING_SEQ];  /* another thread: the loop did not ask */
    c[C_CODE][row] = 0;

    PyObject *owner, *owned;
    if (owner_of(h, callback, &owner, &owned) < 0)
        return -1;
    *step = owner != NULL;
    if (owner != NULL) {
        int64_t serial = serial_of(h, owner, 1);
        Py_XDECREF(owned);
        if (serial < 0)
            return -1;
        c[C_TASK][row] = serial;
        c[C_KIND][row] = (nargs > 0 && kind == SOON) ? DONE_CALLBACK : kind;  /* a future woke it */
        return seq;
    }
    Py_XDECREF(owned);
    c[C_TASK][row] = 0;
    int link = 0;
    if (nargs > 0 && kind == SOON) {
        link = PyObject_IsInstance(args[0], h->future_types);
        if (link < 0)
            return -1;
    }
    c[C_KIND][row] = link ? DONE_CALLBACK : kind;
    int64_t key;
    if (remember_code(h, callback, &key) < 0)
        return -1;
    c[C_CODE][row] = key;
    return seq;
}

/* loop.<orig>(..., callback, *args, context=...) with callback wrapped in a Run. */
static PyObject *
schedule(Hooks *h, int kind, PyObject *orig, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t at = kind == TIMER ? 1 : 0;  /* call_at(when, callback, ...) */
    if (nargs <= at) {
        PyErr_SetString(PyExc_TypeError, "a callback is required");
        return NULL;
    }
    int64_t now = now_ns(), due = now;
    if (kind == TIMER) {
        double when = PyFloat_AsDouble(args[0]);
        if (when == -1.0 && PyErr_Occurred())
            return NULL;
        PyObject *t = PyObject_CallNoArgs(h->loop_time);
        if (t == NULL)
            return NULL;
        double loop_now = PyFloat_AsDouble(t);
        Py_DECREF(t);
        due = now + (int64_t)((when - loop_now) * 1e9);
    }
    int step;
    int64_t seq = record(h, kind, now, due, args[at], args + at + 1, nargs - at - 1, &step);
    if (seq < 0)
        return NULL;
    PyObject *run = new_run(h, args[at], step, seq);
    if (run == NULL)
        return NULL;
    Py_ssize_t total = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    PyObject *small[8], **call = total <= 8 ? small : PyMem_Malloc(total * sizeof(PyObject *));
    if (call == NULL) {
        Py_DECREF(run);
        return PyErr_NoMemory();
    }
    memcpy(call, args, total * sizeof(PyObject *));
    call[at] = run;
    PyObject *result = PyObject_Vectorcall(orig, call, nargs, kwnames);
    if (call != small)
        PyMem_Free(call);
    Py_DECREF(run);
    return result;
}

static PyObject *
hooks_call_soon(Hooks *h, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return schedule(h, SOON, h->call_soon, args, nargs, kwnames);
}

static PyObject *
hooks_threadsafe(Hooks *h, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return schedule(h, THREADSAFE, h->threadsafe, args, nargs, kwnames);
}

static PyObject *
hooks_call_at(Hooks *h, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return schedule(h, TIMER, h->call_at, args, nargs, kwnames);
}

static int
is_asyncio(Hooks *h, PyCodeObject *code)
{
    PyCodeObject **known = &h->inside[((uintptr_t)code >> 6) % 64];
    if (*known == code)
        return 1;
    int inside = PyUnicode_Tailmatch(code->co_filename, h->asyncio_dir, 0, PY_SSIZE_T_MAX, -1);
    if (inside == 1)
        *known = code;  /* asyncio's code lives as long as the process */
    return inside;
}

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
/* CPython 3.11's interpreter frame (Include/internal/pycore_frame.h), read, never written.
 * Walking these instead of PyFrame_GetBack spares a frame object per frame walked (about
 * a microsecond per task); the tests compare its lines with the Python hot path's. */
typedef struct Frame311 {
    PyObject *func, *globals, *builtins, *locals;
    PyCodeObject *code;
    PyObject *frame_obj;
    struct Frame311 *previous;
    _Py_CODEUNIT *prev_instr;
    int stacktop;
    char is_entry;
    char owner;  /* 1: owned by a generator */
} Frame311;

/* The first frame outside asyncio (past create_task / ensure_future / gather / TaskGroup):
 * a new reference to its code, and the byte offset of its current instruction. */
static int
creation_site(Hooks *h, PyObject **site, int *lasti)
{
    for (Frame311 *f = (Frame311 *)PyThreadState_Get()->cframe->current_frame; f != NULL; f = f->previous) {
        PyCodeObject *code = f->code;
        _Py_CODEUNIT *first = _PyCode_CODE(code);
        if (f->owner != 1 && f->prev_instr < first + code->_co_firsttraceable)
            continue;  /* still being set up: not a frame Python would show */
        int inside = is_asyncio(h, code);
        if (inside < 0)
            return -1;
        if (inside == 0) {
            *site = Py_NewRef((PyObject *)code);
            *lasti = (int)(f->prev_instr - first) * (int)sizeof(_Py_CODEUNIT);
            return 0;
        }
    }
    return 0;
}
#else
static int
creation_site(Hooks *h, PyObject **site, int *lasti)
{
    PyFrameObject *frame = (PyFrameObject *)Py_XNewRef(PyEval_GetFrame());
    while (frame != NULL) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        int inside = is_asyncio(h, code);
        if (inside == 0) {
            *site = (PyObject *)code;
            *lasti = PyFrame_GetLasti(frame);
            Py_DECREF(frame);
            return 0;
        }
        Py_DECREF(code);
        PyFrameObject *back = PyFrame_GetBack(frame);
        Py_DECREF(frame);
        frame = back;
        if (inside < 0) {
            Py_XDECREF(frame);
            return -1;
        }
    }
    return 0;
}
#endif

/* loop.set_task_factory(hooks.task_factory): makes the task, then keeps its coroutine and
 * the first frame outside asyncio that asked for it. */
static PyObject *
hooks_task_factory(Hooks *h, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "task_factory(loop, coro, **kwargs)");
        return NULL;
    }
    PyObject *loop = args[0], *coro = args[1], *task;
    if (kwnames == NULL || PyTuple_GET_SIZE(kwnames) == 0) {
        PyObject *call[2] = {coro, loop};
        task = PyObject_Vectorcall(h->task_type, call, 1, loop_kwnames);
    }
    else {  /* Task(coro, loop=loop, **kwargs) */
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        PyObject *names = PyTuple_New(nkw + 1);
        PyObject **call = PyMem_Malloc((nkw + 2) * sizeof(PyObject *));
        if (names == NULL || call == NULL) {
            Py_XDECREF(names);
            PyMem_Free(call);
            return PyErr_NoMemory();
        }
        PyTuple_SET_ITEM(names, 0, Py_NewRef(PyTuple_GET_ITEM(loop_kwnames, 0)));
        call[0] = coro;
        call[1] = loop;
        for (Py_ssize_t i = 0; i < nkw; i++) {
            PyTuple_SET_ITEM(names, i + 1, Py_NewRef(PyTuple_GET_ITEM(kwnames, i)));
            call[i + 2] = args[nargs + i];
        }
        task = PyObject_Vectorcall(h->task_type, call, 1, names);
        Py_DECREF(names);
        PyMem_Free(call);
    }
    if (task == NULL)
        return NULL;
    /* The constructor already scheduled the first step, which gave the task its serial. */
    int64_t serial = serial_of(h, task, 1);
    if (serial < 0)
        goto error;
    PyObject *site = NULL;
    int lasti = 0;  /* the line is worked out from it when a reader asks */
    if (creation_site(h, &site, &lasti) < 0)
        goto error;
    PyObject *coro_code;
    if (PyCoro_CheckExact(coro))
        coro_code = Py_NewRef((PyObject *)((PyCoroObject *)coro)->cr_code);
    else if (_PyObject_LookupAttr(coro, str_cr_code, &coro_code) < 0) {
        Py_XDECREF(site);
        goto error;
    }
    if (coro_code == NULL)
        coro_code = Py_NewRef((PyObject *)Py_TYPE(coro));
    Py_ssize_t row = serial % h->tcap;
    int64_t **c = h->c;
    c[T_SERIAL][row] = serial;
    c[T_CREATED][row] = now_ns();
    c[T_LASTI][row] = lasti;
    c[T_ENDED][row] = 0;
    c[T_OUTCOME][row] = RUNNING;
    /* its parent: the task whose step is running (the row's task; 0 for a plain callback),
     * kept here so it outlives the callback ring */
    int64_t running = c[BOX][RUNNING_SEQ];
    Py_ssize_t at = running >= 0 ? running % h->cap : 0;
    c[T_PARENT][row] = running >= 0 && c[C_SEQ][at] == running ? c[C_TASK][at] : 0;
    list_put(h->lists[L_CORO], row, coro_code);
    list_put(h->lists[L_SITE], row, site ? site : Py_NewRef(Py_None));
    list_put(h->lists[L_NAME], row, Py_NewRef(Py_None));
    return task;
error:
    Py_DECREF(task);
    return NULL;
}

static PyObject *
hooks_serial(Hooks *h, PyObject *task)
{
    int64_t serial = serial_of(h, task, 0);
    return serial < 0 ? Py_NewRef(Py_None) : PyLong_FromLongLong(serial);
}

static PyObject *
hooks_adopt(Hooks *h, PyObject *task)
{
    int64_t serial = serial_of(h, task, 1);
    return serial < 0 ? NULL : PyLong_FromLongLong(serial);
}

static PyMethodDef hooks_methods[] = {
    {"serial", (PyCFunction)hooks_serial, METH_O, "a live task's serial, or None"},
    {"adopt", (PyCFunction)hooks_adopt, METH_O, "a live task's serial, given one if it has none"},
    {"call_soon", (PyCFunction)(void (*)(void))hooks_call_soon, METH_FASTCALL | METH_KEYWORDS,
     "loop.call_soon, traced"},
    {"call_soon_threadsafe", (PyCFunction)(void (*)(void))hooks_threadsafe, METH_FASTCALL | METH_KEYWORDS,
     "loop.call_soon_threadsafe, traced"},
    {"call_at", (PyCFunction)(void (*)(void))hooks_call_at, METH_FASTCALL | METH_KEYWORDS,
     "loop.call_at, traced"},
    {"task_factory", (PyCFunction)(void (*)(void))hooks_task_factory, METH_FASTCALL | METH_KEYWORDS,
     "a loop task factory that records each task"},
    {NULL},
};

/* -- Hooks: construction ---------------------------------------------------------------- */

static int
hooks_traverse(Hooks *h, visitproc visit, void *arg)
{
    for (int i = 0; i < NLIST; i++)
        Py_VISIT(h->lists[i]);
    Py_VISIT(h->codes);
    Py_VISIT(h->task_type);
    Py_VISIT(h->future_types);
    Py_VISIT(h->asyncio_dir);
    Py_VISIT(h->call_soon);
    Py_VISIT(h->threadsafe);
    Py_VISIT(h->call_at);
    Py_VISIT(h->loop_time);
    return 0;
}

static int
hooks_clear(Hooks *h)
{
    for (int i = 0; i < NLIST; i++)
        Py_CLEAR(h->lists[i]);
    Py_CLEAR(h->codes);
    Py_CLEAR(h->task_type);
    Py_CLEAR(h->future_types);
    Py_CLEAR(h->asyncio_dir);
    Py_CLEAR(h->call_soon);
    Py_CLEAR(h->threadsafe);
    Py_CLEAR(h->call_at);
    Py_CLEAR(h->loop_time);
    return 0;
}

static void
hooks_dealloc(Hooks *h)
{
    PyObject_GC_UnTrack(h);
    hooks_clear(h);
    PyMem_Free(h->slots);
    for (int i = 0; i < NBUF; i++)
        if (h->buf[i].obj != NULL)
            PyBuffer_Release(&h->buf[i]);
    Py_TYPE(h)->tp_free((PyObject *)h);
}

/* Hooks(columns, task_columns, box, task_lists, codes, task_type, future_types,
 *       asyncio_dir, call_soon, call_soon_threadsafe, call_at, loop_time) */
static int
hooks_init(Hooks *h, PyObject *args, PyObject *kwargs)
{
    PyObject *columns, *task_columns, *box, *lists;
    if (h->slots != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Hooks are made once");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!OO!O!OOUOOOO", &PyTuple_Type, &columns, &PyTuple_Type, &task_columns,
                          &box, &PyTuple_Type, &lists, &PyDict_Type, &h->codes,
                          &h->task_type, &h->future_types, &h->asyncio_dir, &h->call_soon, &h->threadsafe,
                          &h->call_at, &h->loop_time))
        return -1;
    PyObject *all[NBUF];
    if (PyTuple_GET_SIZE(columns) != T_SERIAL || PyTuple_GET_SIZE(task_columns) != BOX - T_SERIAL
        || PyTuple_GET_SIZE(lists) != NLIST || !PyType_Check(h->task_type)) {
        PyErr_SetString(PyExc_ValueError, "Hooks: 9 columns, 6 task columns, 3 task lists and a task type");
        h->codes = h->task_type = h->future_types = h->asyncio_dir = NULL;
        h->call_soon = h->threadsafe = h->call_at = h->loop_time = NULL;
        return -1;
    }
    Py_INCREF(h->codes); Py_INCREF(h->task_type); Py_INCREF(h->future_types);
    Py_INCREF(h->asyncio_dir); Py_INCREF(h->call_soon); Py_INCREF(h->threadsafe); Py_INCREF(h->call_at);
    Py_INCREF(h->loop_time);
    for (int i = 0; i < T_SERIAL; i++)
        all[i] = PyTuple_GET_ITEM(columns, i);
    for (int i = T_SERIAL; i < BOX; i++)
        all[i] = PyTuple_GET_ITEM(task_columns, i - T_SERIAL);
    all[BOX] = box;
    for (int i = 0; i < NBUF; i++) {
        if (PyObject_GetBuffer(all[i], &h->buf[i], PyBUF_WRITABLE | PyBUF_FORMAT) < 0)
            return -1;
        if (h->buf[i].itemsize != 8 || strcmp(h->buf[i].format, "q") != 0) {
            PyErr_SetString(PyExc_ValueError, "Hooks: columns are array('q')");
            return -1;
        }
        h->c[i] = (int64_t *)h->buf[i].buf;
    }
    h->cap = h->buf[C_SEQ].len / 8;
    h->tcap = h->buf[T_SERIAL].len / 8;
    for (int i = 0; i < NBUF; i++) {
        Py_ssize_t want = i == BOX ? NBOX : i < T_SERIAL ? h->cap : h->tcap;
        if (h->buf[i].len / 8 < want) {
            PyErr_SetString(PyExc_ValueError, "Hooks: columns of one ring have one length; box has 3 slots");
            return -1;
        }
    }
    for (int i = 0; i < NLIST; i++) {
        PyObject *list = PyTuple_GET_ITEM(lists, i);
        if (!PyList_Check(list) || PyList_GET_SIZE(list) < h->tcap) {
            PyErr_SetString(PyExc_ValueError, "Hooks: task lists are lists as long as the task ring");
            return -1;
        }
        h->lists[i] = Py_NewRef(list);
        /* They hold code objects, types, str and None, so no cycle runs through them:
         * untracked, the collector no longer walks their rows on every full pass. */
        if (PyObject_GC_IsTracked(list))
            PyObject_GC_UnTrack(list);
    }
    h->last_code = 0;
    h->step_type = NULL;
    if (grow(h) < 0)
        return -1;

    h->state_get = NULL;
    PyObject *descr = _PyType_Lookup((PyTypeObject *)h->task_type, str_state);  /* borrowed */
    if (descr != NULL && Py_IS_TYPE(descr, &PyGetSetDescr_Type)) {
        h->state_get = ((PyGetSetDescrObject *)descr)->d_getset->get;
        h->state_closure = ((PyGetSetDescrObject *)descr)->d_getset->closure;
    }
    return 0;
}

static PyTypeObject HooksType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "services.tracing._looptrace.Hooks",
    .tp_basicsize = sizeof(Hooks),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The tracer's hot path: scheduling hooks that write the tracer's columns.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)hooks_init,
    .tp_traverse = (traverseproc)hooks_traverse,
    .tp_clear = (inquiry)hooks_clear,
    .tp_dealloc = (destructor)hooks_dealloc,
    .tp_methods = hooks_methods,
};

static PyMethodDef module_methods[] = {
    {"scan", looptrace_scan, METH_VARARGS, "finished and slow rows among a range of the callback columns"},
    {"take", looptrace_take, METH_VARARGS, "the rows of one answer, packed, with their naming keys and links"},
    {"json_rows", looptrace_json_rows, METH_VARARGS, "packed rows as JSON text, names spliced in"},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_looptrace", "looplens tracer hot path (see services/tracer.py)", -1, module_methods,
};

PyMODINIT_FUNC
PyInit__looptrace(void)
{
    if (PyType_Ready(&RunType) < 0 || PyType_Ready(&StepRunType) < 0 || PyType_Ready(&HooksType) < 0)
        return NULL;
    str_self = PyUnicode_InternFromString("__self__");
    str_state = PyUnicode_InternFromString("_state");
    str_exception = PyUnicode_InternFromString("_exception");
    str_get_name = PyUnicode_InternFromString("get_name");
    str_cr_code = PyUnicode_InternFromString("cr_code");
    str_qualname = PyUnicode_InternFromString("__qualname__");
    str_pending = PyUnicode_InternFromString("PENDING");
    str_cancelled = PyUnicode_InternFromString("CANCELLED");
    loop_kwnames = Py_BuildValue("(s)", "loop");
    if (!str_self || !str_state || !str_exception || !str_get_name || !str_cr_code || !str_qualname
        || !str_pending || !str_cancelled || !loop_kwnames)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Hooks", (PyObject *)&HooksType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

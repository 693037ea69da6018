/* The reader's side of _looptrace: passes over the tracer's callback columns made for a
 * reader in another thread (the agent's), with the GIL released while they read, so an
 * answer does not hold the traced loop's thread back. Each has a Python counterpart, used
 * when this module is not built (columns.CallbackRing.scan's pass, columns.take, and for
 * json_rows json.dumps in answer.Answer.json), and a test that the two agree.
 *
 * The loop's thread may write the columns while these read them: a row counts only when its
 * seq is the one asked for, and its end is read before its other fields (a row's end is
 * written last, once it ran). take reads at most an answer's newest rows, far from those
 * being overwritten (a ring holds 200,000); scan may start at the oldest row, the next one
 * overwritten, so its count of rows passed over can be off by the few rows written meanwhile
 * (the slow rows it finds are checked again through their seq). The writer's stores are
 * plain: on x86 they are seen in order, which the acquire load of end relies on.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_looptrace.h"

/* The callback and task columns, in the order columns.py names them. */
enum { R_SEQ, R_KIND, R_SCHED, R_DUE, R_START, R_END, R_TASK, R_PARENT, R_CODE, NCOL };
enum { T_SERIAL, T_CREATED, T_LASTI, T_ENDED, T_OUTCOME, T_PARENT, NTCOL };
enum { ROW_WIDTH = 7, LINK_WIDTH = 4 };  /* a packed row: seq kind start end late task key */
enum { MADE = 0, DONE = 1 };             /* a link's kind (links.py) */

static int
get_columns(PyObject *tuple, Py_buffer *b, int n, Py_ssize_t *rows)
{
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != n) {
        PyErr_SetString(PyExc_TypeError, "columns: a tuple of the ring's arrays");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(tuple, i), &b[i], PyBUF_SIMPLE) < 0) {
            while (i--)
                PyBuffer_Release(&b[i]);
            return -1;
        }
    }
    *rows = b[0].len / (Py_ssize_t)sizeof(int64_t);
    for (int i = 1; i < n; i++) {
        if (b[i].len != b[0].len) {
            for (int j = 0; j < n; j++)
                PyBuffer_Release(&b[j]);
            PyErr_SetString(PyExc_ValueError, "columns of one ring have one length");
            return -1;
        }
    }
    return 0;
}

static void
release(Py_buffer *b, int n)
{
    for (int i = 0; i < n; i++)
        PyBuffer_Release(&b[i]);
}

/* scan(seq, start, end, row, end_row, slow_ns, floor) -> (finished, [seq of slow rows]): over
 * rows [row, end_row) of the callback columns, how many ended at ``floor`` or later, and the
 * seqs of those that ran ``slow_ns`` or longer (a running row's end is 0: never slow). The
 * twin of CallbackRing.scan's Python pass. */
PyObject *
looptrace_scan(PyObject *Py_UNUSED(mod), PyObject *args)
{
    PyObject *cols[3];
    Py_ssize_t row, end_row;
    long long slow_ns, floor;
    if (!PyArg_ParseTuple(args, "OOOnnLL", &cols[0], &cols[1], &cols[2], &row, &end_row, &slow_ns, &floor))
        return NULL;
    Py_buffer b[3];
    int got = 0;
    for (; got < 3; got++)
        if (PyObject_GetBuffer(cols[got], &b[got], PyBUF_SIMPLE) < 0)
            goto fail;
    Py_ssize_t n = b[0].len / (Py_ssize_t)sizeof(int64_t);
    if (b[1].len != b[0].len || b[2].len != b[0].len || row < 0 || row > end_row || end_row > n) {
        PyErr_SetString(PyExc_ValueError, "scan: columns of one ring, rows inside it");
        goto fail;
    }
    const int64_t *seq = b[0].buf, *start = b[1].buf, *end = b[2].buf;
    int64_t *slow = PyMem_RawMalloc(sizeof(int64_t) * (size_t)(end_row - row + 1));
    if (slow == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t finished = 0, nslow = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = row; i < end_row; i++) {
        finished += end[i] >= floor;
        if (end[i] - start[i] >= slow_ns)
            slow[nslow++] = seq[i];
    }
    Py_END_ALLOW_THREADS
    release(b, 3);
    PyObject *list = PyList_New(nslow);
    for (Py_ssize_t i = 0; list != NULL && i < nslow; i++) {
        PyObject *v = PyLong_FromLongLong(slow[i]);
        if (v == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, v);
    }
    PyMem_RawFree(slow);
    if (list == NULL)
        return NULL;
    return Py_BuildValue("(nN)", finished, list);
fail:
    release(b, got);
    return NULL;
}

/* -- take: the rows of one answer ----------------------------------------------------------- */

typedef struct {
    int64_t task, code, first;  /* a naming key (code 0 for a task's step) and its first row's seq */
} Key;

typedef struct {
    int64_t *rows, *links;
    Py_ssize_t *longs;
    Key *keys;
    Py_ssize_t *table;  /* open addressing: key index + 1, 0 empty; size mask + 1 */
    size_t mask;
    Py_ssize_t nrows, nlinks, nlongs, nkeys;
} Taken;

static Py_ssize_t
key_index(Taken *t, int64_t task, int64_t code, int64_t seq)
{
    uint64_t h = ((uint64_t)task * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)code * 0xC2B2AE3D27D4EB4Full);
    for (size_t i = (size_t)(h >> 17) & t->mask;; i = (i + 1) & t->mask) {
        Py_ssize_t at = t->table[i];
        if (at == 0) {
            t->keys[t->nkeys] = (Key){task, code, seq};
            t->table[i] = ++t->nkeys;
            return t->nkeys - 1;
        }
        if (t->keys[at - 1].task == task && t->keys[at - 1].code == code)
            return at - 1;
    }
}

/* The finished rows with first <= seq < stop that ended at ``floor`` or later, each packed as
 * ROW_WIDTH numbers; their links; the rows that ran ``long_ns`` or more. No GIL needed. */
static void
take_rows(Taken *t, const int64_t **c, Py_ssize_t cap, const int64_t **tc, Py_ssize_t tcap, int64_t first,
          int64_t stop, int64_t floor, int64_t long_ns)
{
    for (int64_t seq = first; seq < stop; seq++) {
        Py_ssize_t r = (Py_ssize_t)(seq % cap);
        if (c[R_SEQ][r] != seq)
            continue;
        int64_t end = __atomic_load_n(&c[R_END][r], __ATOMIC_ACQUIRE);
        int64_t start = c[R_START][r];
        if (end == 0 || start == 0 || end < floor)
            continue;
        int64_t kind = c[R_KIND][r], task = c[R_TASK][r], parent = c[R_PARENT][r], sched = c[R_SCHED][r];
        int64_t late = start - c[R_DUE][r];
        int64_t *row = t->rows + t->nrows * ROW_WIDTH;
        row[0] = seq, row[1] = kind, row[2] = start, row[3] = end, row[4] = late > 0 ? late : 0, row[5] = task;
        row[6] = key_index(t, task, task ? 0 : c[R_CODE][r], seq);
        if (end - start >= long_ns)
            t->longs[t->nlongs++] = t->nrows;
        t->nrows++;
        if (parent < 0)
            continue;
        int64_t *link = t->links + t->nlinks * LINK_WIDTH;
        if (kind == DONE_CALLBACK) {
            link[0] = DONE, link[1] = seq, link[2] = parent, link[3] = sched;
            t->nlinks++;
        } else if (task > 0 && kind == SOON) {
            Py_ssize_t tr = (Py_ssize_t)(task % tcap);
            if (tc[T_SERIAL][tr] == task && tc[T_PARENT][tr] && tc[T_CREATED][tr] >= sched) {
                link[0] = MADE, link[1] = seq, link[2] = parent, link[3] = tc[T_CREATED][tr];
                t->nlinks++;
            }
        }
    }
}

static PyObject *
taken_result(Taken *t)
{
    PyObject *keys = PyList_New(t->nkeys), *longs = PyList_New(t->nlongs);
    for (Py_ssize_t i = 0; keys != NULL && i < t->nkeys; i++) {
        PyObject *key = Py_BuildValue("(LLL)", (long long)t->keys[i].task, (long long)t->keys[i].code,
                                      (long long)t->keys[i].first);
        if (key == NULL)
            Py_CLEAR(keys);
        else
            PyList_SET_ITEM(keys, i, key);
    }
    for (Py_ssize_t i = 0; longs != NULL && i < t->nlongs; i++) {
        PyObject *v = PyLong_FromSsize_t(t->longs[i]);
        if (v == NULL)
            Py_CLEAR(longs);
        else
            PyList_SET_ITEM(longs, i, v);
    }
    if (keys == NULL || longs == NULL) {
        Py_XDECREF(keys);
        Py_XDECREF(longs);
        return NULL;
    }
    return Py_BuildValue("(y#Ny#N)", (char *)t->rows, t->nrows * ROW_WIDTH * (Py_ssize_t)sizeof(int64_t), keys,
                         (char *)t->links, t->nlinks * LINK_WIDTH * (Py_ssize_t)sizeof(int64_t), longs);
}

/* take(columns, task_columns, first, stop, floor, long_ns) -> (rows, keys, links, longs): the
 * twin of columns.take (see there). */
PyObject *
looptrace_take(PyObject *Py_UNUSED(mod), PyObject *args)
{
    PyObject *cols, *tcols;
    long long first, stop, floor, long_ns;
    if (!PyArg_ParseTuple(args, "OOLLLL", &cols, &tcols, &first, &stop, &floor, &long_ns))
        return NULL;
    Py_buffer b[NCOL], tb[NTCOL];
    Py_ssize_t cap, tcap;
    if (get_columns(cols, b, NCOL, &cap) < 0)
        return NULL;
    if (get_columns(tcols, tb, NTCOL, &tcap) < 0) {
        release(b, NCOL);
        return NULL;
    }
    PyObject *result = NULL;
    Taken t = {0};
    if (cap == 0 || tcap == 0 || first < 0 || stop - first > cap) {
        PyErr_SetString(PyExc_ValueError, "take: a range of at most the ring's rows");
        goto done;
    }
    Py_ssize_t n = stop > first ? (Py_ssize_t)(stop - first) : 0;
    size_t size = 16;
    while (size < 2 * (size_t)n)
        size <<= 1;
    t.mask = size - 1;
    t.rows = PyMem_RawMalloc(sizeof(int64_t) * ROW_WIDTH * (size_t)(n + 1));
    t.links = PyMem_RawMalloc(sizeof(int64_t) * LINK_WIDTH * (size_t)(n + 1));
    t.longs = PyMem_RawMalloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    t.keys = PyMem_RawMalloc(sizeof(Key) * (size_t)(n + 1));
    t.table = PyMem_RawCalloc(size, sizeof(Py_ssize_t));
    if (!t.rows || !t.links || !t.longs || !t.keys || !t.table) {
        PyErr_NoMemory();
        goto done;
    }
    const int64_t *c[NCOL], *tc[NTCOL];
    for (int i = 0; i < NCOL; i++)
        c[i] = b[i].buf;
    for (int i = 0; i < NTCOL; i++)
        tc[i] = tb[i].buf;
    Py_BEGIN_ALLOW_THREADS
    take_rows(&t, c, cap, tc, tcap, first, stop, floor, long_ns);
    Py_END_ALLOW_THREADS
    result = taken_result(&t);
done:
    release(b, NCOL);
    release(tb, NTCOL);
    PyMem_RawFree(t.rows);
    PyMem_RawFree(t.links);
    PyMem_RawFree(t.longs);
    PyMem_RawFree(t.keys);
    PyMem_RawFree(t.table);
    return result;
}

/* -- json_rows: packed rows as the page's JSON ---------------------------------------------- */

static inline Py_ssize_t
digits(int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    Py_ssize_t n = v < 0 ? 2 : 1;
    while (u >= 10)
        u /= 10, n++;
    return n;
}

static inline char *
put_int(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

typedef struct {
    const int64_t *v;
    Py_ssize_t n, width, nums;  /* rows, numbers per packed row, of which printed */
    const char **frag, **extra;
    Py_ssize_t *frag_len, *extra_len, nfrag;
} Rows;

/* The text's length (-1: a fragment index out of range); then, given the room, the text. */
static Py_ssize_t
rows_length(const Rows *r)
{
    Py_ssize_t total = 2 + (r->n > 1 ? 2 * (r->n - 1) : 0);
    for (Py_ssize_t i = 0; i < r->n; i++) {
        const int64_t *row = r->v + i * r->width;
        total += 2 + 2 * (r->nums - 1);
        for (Py_ssize_t j = 0; j < r->nums; j++)
            total += digits(row[j]);
        if (r->frag != NULL) {
            int64_t k = row[r->width - 1];
            if (k < 0 || k >= r->nfrag)
                return -1;
            total += 2 + r->frag_len[k];
        }
        if (r->extra[i] != NULL)
            total += 2 + r->extra_len[i];
    }
    return total;
}

static void
rows_write(const Rows *r, char *p)
{
    *p++ = '[';
    for (Py_ssize_t i = 0; i < r->n; i++) {
        const int64_t *row = r->v + i * r->width;
        if (i)
            *p++ = ',', *p++ = ' ';
        *p++ = '[';
        for (Py_ssize_t j = 0; j < r->nums; j++) {
            if (j)
                *p++ = ',', *p++ = ' ';
            p = put_int(p, row[j]);
        }
        if (r->frag != NULL) {
            int64_t k = row[r->width - 1];
            *p++ = ',', *p++ = ' ';
            memcpy(p, r->frag[k], (size_t)r->frag_len[k]);
            p += r->frag_len[k];
        }
        if (r->extra[i] != NULL) {
            *p++ = ',', *p++ = ' ';
            memcpy(p, r->extra[i], (size_t)r->extra_len[i]);
            p += r->extra_len[i];
        }
        *p++ = ']';
    }
    *p = ']';
}

/* Fragments (a tuple of bytes, or None) and extras (a tuple of (row index, bytes)), as
 * pointers into those bytes, which the call's arguments keep alive. */
static int
rows_texts(Rows *r, PyObject *fragments, PyObject *extras)
{
    r->nfrag = fragments == Py_None ? 0 : PyTuple_GET_SIZE(fragments);
    for (Py_ssize_t k = 0; k < r->nfrag; k++) {
        PyObject *f = PyTuple_GET_ITEM(fragments, k);
        if (!PyBytes_Check(f))
            return -1;
        r->frag[k] = PyBytes_AS_STRING(f), r->frag_len[k] = PyBytes_GET_SIZE(f);
    }
    for (Py_ssize_t e = 0; e < PyTuple_GET_SIZE(extras); e++) {
        PyObject *pair = PyTuple_GET_ITEM(extras, e), *i, *x;
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2)
            return -1;
        i = PyTuple_GET_ITEM(pair, 0), x = PyTuple_GET_ITEM(pair, 1);
        Py_ssize_t at = PyLong_AsSsize_t(i);
        if (at < 0 || at >= r->n || !PyBytes_Check(x)) {
            PyErr_Clear();
            return -1;
        }
        r->extra[at] = PyBytes_AS_STRING(x), r->extra_len[at] = PyBytes_GET_SIZE(x);
    }
    return 0;
}

/* json_rows(packed, width, fragments, extras) -> bytes: the rows as json.dumps writes them
 * (answer.Answer.json falls back to json.dumps when this module is not built). */
PyObject *
looptrace_json_rows(PyObject *Py_UNUSED(mod), PyObject *args)
{
    Py_buffer packed;
    Py_ssize_t width;
    PyObject *fragments, *extras;
    if (!PyArg_ParseTuple(args, "y*nOO!", &packed, &width, &fragments, &PyTuple_Type, &extras))
        return NULL;
    PyObject *out = NULL;
    Rows r = {.v = packed.buf, .width = width};
    if (width < 1 || packed.len % (width * (Py_ssize_t)sizeof(int64_t)) != 0
        || (fragments != Py_None && (!PyTuple_Check(fragments) || width < 2))) {
        PyErr_SetString(PyExc_ValueError, "json_rows: rows of width numbers, fragments a tuple");
        goto done;
    }
    r.n = packed.len / (width * (Py_ssize_t)sizeof(int64_t));
    r.nums = fragments == Py_None ? width : width - 1;
    Py_ssize_t nfrag = fragments == Py_None ? 0 : PyTuple_GET_SIZE(fragments);
    r.frag = fragments == Py_None ? NULL : PyMem_Calloc((size_t)nfrag + 1, sizeof(char *));
    r.frag_len = PyMem_Calloc((size_t)nfrag + 1, sizeof(Py_ssize_t));
    r.extra = PyMem_Calloc((size_t)r.n + 1, sizeof(char *));
    r.extra_len = PyMem_Calloc((size_t)r.n + 1, sizeof(Py_ssize_t));
    if ((fragments != Py_None && r.frag == NULL) || !r.frag_len || !r.extra || !r.extra_len) {
        PyErr_NoMemory();
        goto done;
    }
    if (rows_texts(&r, fragments, extras) < 0) {
        PyErr_SetString(PyExc_ValueError, "json_rows: fragments are bytes, extras (row, bytes) pairs");
        goto done;
    }
    Py_ssize_t length;
    Py_BEGIN_ALLOW_THREADS
    length = rows_length(&r);
    Py_END_ALLOW_THREADS
    if (length < 0) {
        PyErr_SetString(PyExc_ValueError, "json_rows: a row names a fragment there is not");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, length);
    if (out != NULL) {
        char *p = PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        rows_write(&r, p);
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&packed);
    PyMem_Free(r.frag);
    PyMem_Free(r.frag_len);
    PyMem_Free(r.extra);
    PyMem_Free(r.extra_len);
    return out;
}

/* Ed25519 verification of a batch of signatures on native threads that never take the GIL.
 *
 * Records.execute_batch runs the domain logic of a batch in Python on one thread while the
 * batch's signatures are verified on the other cores. A Python thread cannot do that part well:
 * it needs the GIL back after every verification it hands to libsodium, and while the domain
 * thread runs Python it waits up to a switch interval (5 ms) for it, so the two threads barely
 * overlap. Here the domain thread only appends (key, message, signature) to the batch; native
 * threads verify as items arrive, and `first_invalid` releases the GIL, verifies whatever is
 * left on the calling thread too and joins them.
 *
 * No libsodium headers or link: the caller passes the address of PyNaCl's own
 * crypto_sign_verify_detached (ledger/keys.py), so the check is exactly the one every single
 * verification in Anjian, the auditor's included, uses.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define MAX_THREADS 64
#define CLAIM 16   /* items a thread takes per visit to the lock */
#define WAKE_AT 16 /* pending items that wake a sleeping thread */

typedef int (*verify_fn)(const unsigned char *sig, const unsigned char *m,
                         unsigned long long mlen, const unsigned char *pk);

typedef struct {
    PyObject *pk, *msg, *sig; /* strong references, released by dealloc */
} item;

typedef struct {
    PyObject_HEAD
    verify_fn verify;
    pthread_mutex_t mu;
    pthread_cond_t work; /* items were added, or the batch was closed */
    item *items;         /* grows under mu; threads copy what they claim */
    Py_ssize_t n, cap;
    Py_ssize_t next; /* first item no thread has claimed */
    Py_ssize_t bad;  /* lowest index known not to verify, or PY_SSIZE_T_MAX */
    int sleeping;    /* threads waiting on `work` */
    int closed;      /* no more items: threads finish what is left and stop */
    int finished;    /* first_invalid has returned */
    int nthreads;
    pthread_t threads[MAX_THREADS];
} Batch;

static int
verifies(verify_fn verify, const item *it)
{
    /* The buffers of bytes objects never move and these are kept alive by the batch, so
     * reading them needs no GIL. Wrong sizes never verify. */
    if (PyBytes_GET_SIZE(it->pk) != 32 || PyBytes_GET_SIZE(it->sig) != 64) {
        return 0;
    }
    return verify((const unsigned char *)PyBytes_AS_STRING(it->sig),
                  (const unsigned char *)PyBytes_AS_STRING(it->msg),
                  (unsigned long long)PyBytes_GET_SIZE(it->msg),
                  (const unsigned char *)PyBytes_AS_STRING(it->pk)) == 0;
}

/* Claim and verify items until the batch is closed and drained. Called without the GIL. */
static void
drain(Batch *b)
{
    item local[CLAIM];
    pthread_mutex_lock(&b->mu);
    for (;;) {
        /* Nothing to claim: everything is claimed, or an earlier item failed already. */
        while ((b->next >= b->n || b->next > b->bad) && !b->closed) {
            b->sleeping++;
            pthread_cond_wait(&b->work, &b->mu);
            b->sleeping--;
        }
        if (b->next >= b->n || b->next > b->bad) {
            break; /* closed, and nothing left worth verifying */
        }
        Py_ssize_t start = b->next;
        Py_ssize_t count = b->n - start < CLAIM ? b->n - start : CLAIM;
        memcpy(local, b->items + start, (size_t)count * sizeof(item));
        b->next = start + count;
        pthread_mutex_unlock(&b->mu);

        Py_ssize_t failed = -1;
        for (Py_ssize_t k = 0; k < count; k++) {
            if (!verifies(b->verify, &local[k])) {
                failed = start + k;
                break; /* later items cannot lower the first failing index */
            }
        }

        pthread_mutex_lock(&b->mu);
        if (failed >= 0 && failed < b->bad) {
            b->bad = failed;
        }
    }
    pthread_mutex_unlock(&b->mu);
}

static void *
thread_main(void *arg)
{
    drain((Batch *)arg);
    return NULL;
}

/* Close the batch and wait for its threads. Called without the GIL (or from dealloc). */
static void
close_and_join(Batch *b)
{
    pthread_mutex_lock(&b->mu);
    b->closed = 1;
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->mu);
    for (int t = 0; t < b->nthreads; t++) {
        pthread_join(b->threads[t], NULL);
    }
    b->nthreads = 0;
}

static PyObject *
Batch_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"verify_address", "threads", NULL};
    unsigned long long address;
    int threads;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Ki:Batch", kwlist, &address, &threads)) {
        return NULL;
    }
    if (address == 0) {
        PyErr_SetString(PyExc_ValueError, "verify_address is null");
        return NULL;
    }
    if (threads < 0 || threads > MAX_THREADS) {
        PyErr_Format(PyExc_ValueError, "threads must be 0..%d, got %d", MAX_THREADS, threads);
        return NULL;
    }
    Batch *b = (Batch *)type->tp_alloc(type, 0);
    if (b == NULL) {
        return NULL;
    }
    b->verify = (verify_fn)(uintptr_t)address;
    b->bad = PY_SSIZE_T_MAX;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->work, NULL);
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&b->threads[t], NULL, thread_main, b) != 0) {
            break; /* fewer threads: first_invalid verifies the rest itself */
        }
        b->nthreads++;
    }
    return (PyObject *)b;
}

static void
Batch_dealloc(Batch *b)
{
    if (b->nthreads > 0) {
        /* Dropped without first_invalid (an exception in the caller): stop the threads. They
         * never take the GIL, so waiting for them here cannot deadlock. */
        pthread_mutex_lock(&b->mu);
        b->bad = -1; /* every remaining claim is now pointless */
        pthread_mutex_unlock(&b->mu);
        close_and_join(b);
    }
    for (Py_ssize_t i = 0; i < b->n; i++) {
        Py_DECREF(b->items[i].pk);
        Py_DECREF(b->items[i].msg);
        Py_DECREF(b->items[i].sig);
    }
    PyMem_RawFree(b->items);
    pthread_cond_destroy(&b->work);
    pthread_mutex_destroy(&b->mu);
    Py_TYPE(b)->tp_free((PyObject *)b);
}

PyDoc_STRVAR(add_doc,
"add(public_key, message, signature, /)\n\n"
"Append one item (bytes each); a key that is not 32 bytes or a signature that is not 64\n"
"bytes does not verify.");

static PyObject *
Batch_add(Batch *b, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "add takes (public_key, message, signature)");
        return NULL;
    }
    for (int k = 0; k < 3; k++) {
        if (!PyBytes_Check(args[k])) {
            PyErr_Format(PyExc_TypeError, "add argument %d must be bytes, not %.100s", k + 1,
                         Py_TYPE(args[k])->tp_name);
            return NULL;
        }
    }
    if (b->finished) {
        PyErr_SetString(PyExc_RuntimeError, "the batch was verified already");
        return NULL;
    }
    pthread_mutex_lock(&b->mu);
    if (b->n == b->cap) {
        Py_ssize_t cap = b->cap ? b->cap * 2 : 256;
        item *grown = PyMem_RawRealloc(b->items, (size_t)cap * sizeof(item));
        if (grown == NULL) {
            pthread_mutex_unlock(&b->mu);
            return PyErr_NoMemory();
        }
        b->items = grown;
        b->cap = cap;
    }
    Py_INCREF(args[0]);
    Py_INCREF(args[1]);
    Py_INCREF(args[2]);
    b->items[b->n] = (item){args[0], args[1], args[2]};
    b->n++;
    if (b->sleeping > 0 && b->n - b->next >= WAKE_AT) {
        pthread_cond_signal(&b->work);
    }
    pthread_mutex_unlock(&b->mu);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(first_invalid_doc,
"first_invalid() -> int\n\n"
"Close the batch, verify what is left on this thread too (without the GIL), wait for the\n"
"batch's threads and return the index of the first item that does not verify, or -1.");

static PyObject *
Batch_first_invalid(Batch *b, PyObject *Py_UNUSED(ignored))
{
    if (b->finished) {
        PyErr_SetString(PyExc_RuntimeError, "the batch was verified already");
        return NULL;
    }
    b->finished = 1;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&b->mu);
    b->closed = 1;
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->mu);
    drain(b);
    close_and_join(b);
    Py_END_ALLOW_THREADS
    return PyLong_FromSsize_t(b->bad == PY_SSIZE_T_MAX ? -1 : b->bad);
}

static PyMethodDef Batch_methods[] = {
    {"add", (PyCFunction)(void (*)(void))Batch_add, METH_FASTCALL, add_doc},
    {"first_invalid", (PyCFunction)Batch_first_invalid, METH_NOARGS, first_invalid_doc},
    {NULL, NULL, 0, NULL},
};

static Py_ssize_t
Batch_length(Batch *b)
{
    return b->n;
}

static PySequenceMethods Batch_as_sequence = {
    .sq_length = (lenfunc)Batch_length,
};

static PyTypeObject BatchType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ledger._ed25519.Batch",
    .tp_doc = PyDoc_STR("Batch(verify_address, threads): Ed25519 signatures verified on "
                        "`threads` native threads as they are added."),
    .tp_basicsize = sizeof(Batch),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Batch_new,
    .tp_dealloc = (destructor)Batch_dealloc,
    .tp_methods = Batch_methods,
    .tp_as_sequence = &Batch_as_sequence,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ledger._ed25519",
    .m_doc = "Ed25519 batch verification on native threads (see ledger.keys).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__ed25519(void)
{
    if (PyType_Ready(&BatchType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "Batch", (PyObject *)&BatchType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* The fill thread pool (pool.h).  All its state sits behind one lock that
 * is held only to hand a job over or to take it back, never while elements
 * are filled.  A job is open while `fn` is set; `want` counts the helpers
 * it may still take.  A worker that wakes after the job closed finds
 * want == 0 and sleeps again, so the owner never waits for a late wake-up:
 * it waits only for the helpers that did join (`running`).
 *
 * Both sides poll a while before they sleep: a worker for the next job, the
 * owner for its helpers to leave.  A sleeping thread on a VM's idle vCPU
 * took ~50 us to wake (2^20 float32 uniform on 2 cores: x1.6 the one-thread
 * speed back to back, x1.0 after 2 ms idle); a polled word is seen at once.
 * `want` and `running`, the polled words, change under the lock only, by
 * atomic stores. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <stddef.h>

#include "pool.h"
#include "threads.h"

/* One less than dispatch.c's most threads per fill: the caller is one. */
#define FI_POOL_MAX 255
/* Pauses a thread polls for before it sleeps: about 1 ms (25 ns each on a
 * Zen 4, ~40 on recent Intel cores), which only a fill of over 2^17
 * elements per thread, itself longer, can cost an idle core. */
#define FI_POOL_SPIN 40000L

static struct {
    fi_mutex lock;
    fi_cond wake;       /* to the workers: a job wants helpers */
    fi_cond done;       /* to the owner: the last helper left */
    fi_pool_fn fn;      /* the open job, or NULL */
    void *arg;
    volatile long want;     /* helpers the open job may still take */
    volatile long running;  /* helpers inside fn */
    int busy;           /* a fill owns the pool */
    int size;           /* workers started (in this process) */
    fi_thread threads[FI_POOL_MAX];
} fi_pool = {FI_MUTEX_INIT, FI_COND_INIT, FI_COND_INIT, NULL, NULL, 0, 0, 0, 0, {{0}}};

/* Polls *word without the lock (which the caller holds, and gets back)
 * until it is zero (until_zero) or not, or the spin is over. */
static void fi_pool_poll(volatile long *word, int until_zero)
{
    fi_mutex_unlock(&fi_pool.lock);
    for (long i = 0; i < FI_POOL_SPIN && (fi_atomic_load(word) == 0) != until_zero; i++)
        fi_pause();
    fi_mutex_lock(&fi_pool.lock);
}

static void fi_pool_worker(void *unused)
{
    (void)unused;
    fi_mutex_lock(&fi_pool.lock);
    for (;;) {
        if (fi_pool.want == 0)
            fi_pool_poll(&fi_pool.want, 0);   /* until a job wants helpers */
        while (fi_pool.want == 0)
            fi_cond_wait(&fi_pool.wake, &fi_pool.lock);
        fi_atomic_store(&fi_pool.want, fi_pool.want - 1);
        fi_atomic_store(&fi_pool.running, fi_pool.running + 1);
        fi_pool_fn fn = fi_pool.fn;
        void *arg = fi_pool.arg;
        fi_mutex_unlock(&fi_pool.lock);
        fn(arg);
        fi_mutex_lock(&fi_pool.lock);
        fi_atomic_store(&fi_pool.running, fi_pool.running - 1);
        if (fi_pool.running == 0)
            fi_cond_signal(&fi_pool.done);
    }
}

/* Holding the lock across fork() gives the child a consistent copy of the
 * state.  The child has none of the workers, and none of the fills in
 * flight on other threads: it starts with an empty, free pool and grows
 * its own on its first threaded fill. */
static void fi_pool_prepare(void) { fi_mutex_lock(&fi_pool.lock); }
static void fi_pool_parent(void) { fi_mutex_unlock(&fi_pool.lock); }
static void fi_pool_child(void)
{
    fi_pool.fn = NULL;
    fi_pool.arg = NULL;
    fi_pool.want = fi_pool.running = 0;
    fi_pool.busy = fi_pool.size = 0;
    fi_cond_reinit(&fi_pool.wake);
    fi_cond_reinit(&fi_pool.done);
    fi_mutex_unlock(&fi_pool.lock);
}

/* Before the lock is ever taken: a fork while the first threaded fill
 * holds the lock would otherwise give the child a lock nobody releases. */
static fi_once fi_pool_hooked = FI_ONCE_INIT;
static void fi_pool_hook(void) { fi_at_fork(fi_pool_prepare, fi_pool_parent, fi_pool_child); }

int fi_pool_begin(fi_pool_fn fn, void *arg, int workers, int *failed)
{
    if (workers <= 0)
        return 0;
    fi_call_once(&fi_pool_hooked, fi_pool_hook);
    if (workers > FI_POOL_MAX)
        workers = FI_POOL_MAX;
    fi_mutex_lock(&fi_pool.lock);
    if (fi_pool.busy) {
        fi_mutex_unlock(&fi_pool.lock);
        return 0;
    }
    /* New workers block on the lock until the job below is open. */
    while (fi_pool.size < workers) {
        if (fi_thread_start(&fi_pool.threads[fi_pool.size], fi_pool_worker, NULL) != 0) {
            *failed = 1;
            break;
        }
        fi_pool.size++;
    }
    if (workers > fi_pool.size)
        workers = fi_pool.size;
    if (workers > 0) {
        fi_pool.busy = 1;
        fi_pool.fn = fn;
        fi_pool.arg = arg;
        fi_atomic_store(&fi_pool.want, workers);
        for (int w = 0; w < workers; w++)
            fi_cond_signal(&fi_pool.wake);
    }
    fi_mutex_unlock(&fi_pool.lock);
    return workers;
}

void fi_pool_end(void)
{
    fi_mutex_lock(&fi_pool.lock);
    fi_pool.fn = NULL;
    fi_pool.arg = NULL;
    fi_atomic_store(&fi_pool.want, 0);
    if (fi_pool.running > 0)
        fi_pool_poll(&fi_pool.running, 1);   /* until the helpers left */
    while (fi_pool.running > 0)
        fi_cond_wait(&fi_pool.done, &fi_pool.lock);
    fi_pool.busy = 0;
    fi_mutex_unlock(&fi_pool.lock);
}

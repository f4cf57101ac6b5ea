/* The thread primitives the pool (pool.c) needs, on POSIX threads or Win32
 * threads: start a thread that lives until the process ends, a lock, a
 * condition variable, a once, and hooks around fork().  Lock and
 * condition variable initialize statically (FI_MUTEX_INIT, FI_COND_INIT),
 * so the pool needs no run-time set-up and no "once" of its own.  fi_thread
 * keeps the function and its argument, so it must stay in place for as long
 * as the thread runs.  On POSIX the includer defines _POSIX_C_SOURCE before
 * any system header: -std=c11 hides the signal masks otherwise. */
#ifndef FASTINIT_THREADS_H
#define FASTINIT_THREADS_H

typedef void (*fi_thread_fn)(void *arg);

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* SRW locks and condition variables are Vista and later: older mingw-w64
 * headers hide them unless told the target is at least that. */
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0600
#endif
#include <process.h>
#include <windows.h>

typedef struct { HANDLE handle; fi_thread_fn fn; void *arg; } fi_thread;
typedef SRWLOCK fi_mutex;
typedef CONDITION_VARIABLE fi_cond;
#define FI_MUTEX_INIT SRWLOCK_INIT
#define FI_COND_INIT CONDITION_VARIABLE_INIT

static unsigned __stdcall fi_thread_main(void *t)
{
    ((fi_thread *)t)->fn(((fi_thread *)t)->arg);
    return 0;
}

/* 0 on success.  Nobody joins the thread: its handle is closed at once.
 * (Windows delivers Ctrl-C on a thread of its own, so there is no signal
 * mask to set.) */
static int fi_thread_start(fi_thread *t, fi_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->handle = (HANDLE)_beginthreadex(NULL, 0, fi_thread_main, t, 0, NULL);
    if (!t->handle)
        return -1;
    CloseHandle(t->handle);
    return 0;
}

static void fi_mutex_lock(fi_mutex *m) { AcquireSRWLockExclusive(m); }
static void fi_mutex_unlock(fi_mutex *m) { ReleaseSRWLockExclusive(m); }
static void fi_cond_wait(fi_cond *c, fi_mutex *m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
static void fi_cond_signal(fi_cond *c) { WakeConditionVariable(c); }
typedef INIT_ONCE fi_once;
#define FI_ONCE_INIT INIT_ONCE_STATIC_INIT

static BOOL CALLBACK fi_once_main(PINIT_ONCE once, PVOID fn, PVOID *ctx)
{
    (void)once;
    (void)ctx;
    (*(void (**)(void))fn)();
    return TRUE;
}

static void fi_call_once(fi_once *once, void (*fn)(void))
{
    InitOnceExecuteOnce(once, fi_once_main, (PVOID)&fn, NULL);
}

/* No fork on Windows. */
static void fi_at_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    (void)prepare;
    (void)parent;
    (void)child;
}
/* Only a forked child reinitializes; never reached here. */
static void fi_cond_reinit(fi_cond *c) { InitializeConditionVariable(c); }
#else
#include <pthread.h>
#include <signal.h>

typedef struct { pthread_t id; fi_thread_fn fn; void *arg; } fi_thread;
typedef pthread_mutex_t fi_mutex;
typedef pthread_cond_t fi_cond;
#define FI_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define FI_COND_INIT PTHREAD_COND_INITIALIZER

static void *fi_thread_main(void *t)
{
    ((fi_thread *)t)->fn(((fi_thread *)t)->arg);
    return NULL;
}

/* 0 on success.  The thread is detached (nobody joins it) and blocks every
 * signal: it outlives the fill that started it, and a process-directed
 * signal (Ctrl-C) must go to a thread that can act on it -- Python's main
 * thread, whose sleep or read it interrupts -- not to an idle worker. */
static int fi_thread_start(fi_thread *t, fi_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* the new thread inherits it */
    int rc = pthread_create(&t->id, &attr, fi_thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

static void fi_mutex_lock(fi_mutex *m) { pthread_mutex_lock(m); }
static void fi_mutex_unlock(fi_mutex *m) { pthread_mutex_unlock(m); }
static void fi_cond_wait(fi_cond *c, fi_mutex *m) { pthread_cond_wait(c, m); }
static void fi_cond_signal(fi_cond *c) { pthread_cond_signal(c); }
typedef pthread_once_t fi_once;
#define FI_ONCE_INIT PTHREAD_ONCE_INIT

static void fi_call_once(fi_once *once, void (*fn)(void)) { pthread_once(once, fn); }

static void fi_at_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    pthread_atfork(prepare, parent, child);
}
/* For a forked child only: its copy may count waiters, the threads that
 * did not follow it into the child. */
static void fi_cond_reinit(fi_cond *c) { pthread_cond_init(c, NULL); }
#endif


/* A load and a store that other threads see in order (acquire, release),
 * for the words the pool's threads poll without the lock, and a pause for
 * their polling loops (a hint to the core, and to a hypervisor). */
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static int fi_atomic_load(volatile long *p) { return (int)_InterlockedOr(p, 0); }
static void fi_atomic_store(volatile long *p, long v) { _InterlockedExchange(p, v); }
#else
static int fi_atomic_load(volatile long *p) { return (int)__atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void fi_atomic_store(volatile long *p, long v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#include <emmintrin.h>
#define fi_pause() _mm_pause()
#elif defined(__aarch64__)
#define fi_pause() __asm__ __volatile__("yield")
#elif defined(_M_ARM64)
#define fi_pause() __yield()
#else
#define fi_pause() ((void)0)
#endif

#endif

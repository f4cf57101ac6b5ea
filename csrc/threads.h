/* The one thread primitive fi_fill needs, start and join, on POSIX threads
 * or Win32 threads.  fi_thread keeps the function and its argument, so it
 * must stay in place until fi_thread_join. */
#ifndef FASTINIT_THREADS_H
#define FASTINIT_THREADS_H

#define FI_HAVE_THREADS 1

typedef void (*fi_thread_fn)(void *arg);

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <process.h>
#include <windows.h>

typedef struct { HANDLE handle; fi_thread_fn fn; void *arg; } fi_thread;

static unsigned __stdcall fi_thread_main(void *t)
{
    ((fi_thread *)t)->fn(((fi_thread *)t)->arg);
    return 0;
}

/* 0 on success */
static int fi_thread_start(fi_thread *t, fi_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->handle = (HANDLE)_beginthreadex(NULL, 0, fi_thread_main, t, 0, NULL);
    return t->handle ? 0 : -1;
}

static void fi_thread_join(fi_thread *t)
{
    WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
}
#else
#include <pthread.h>

typedef struct { pthread_t id; fi_thread_fn fn; void *arg; } fi_thread;

static void *fi_thread_main(void *t)
{
    ((fi_thread *)t)->fn(((fi_thread *)t)->arg);
    return NULL;
}

static int fi_thread_start(fi_thread *t, fi_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    return pthread_create(&t->id, NULL, fi_thread_main, t) == 0 ? 0 : -1;
}

static void fi_thread_join(fi_thread *t) { pthread_join(t->id, NULL); }
#endif

#endif

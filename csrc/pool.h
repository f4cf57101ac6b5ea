/* The threads that fills share: started on the first fill that wants them,
 * kept for the life of the process, rebuilt in the child of a fork.  One
 * fill at a time owns them; a fill that finds them owned runs on its
 * caller's thread alone rather than wait, so no fill ever waits for
 * another (and a waiting main thread would not see Ctrl-C). */
#ifndef FASTINIT_POOL_H
#define FASTINIT_POOL_H

#define FI_HAVE_THREADS 1

typedef void (*fi_pool_fn)(void *arg);

/* Lends the caller up to `workers` threads, each of which calls fn(arg) at
 * most once, next to the caller's own work.  Returns how many it lent; 0
 * when another fill owns the pool (or no thread could be started).  If it
 * returns more than 0, the caller must call fi_pool_end() once its own
 * share is done, and must keep arg alive until then.  Sets *failed when
 * fewer threads exist than asked for because a thread did not start. */
int fi_pool_begin(fi_pool_fn fn, void *arg, int workers, int *failed);

/* Takes no more helpers for this fill, waits for those that came, and
 * frees the pool for the next fill. */
void fi_pool_end(void);

#endif

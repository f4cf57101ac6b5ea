#pragma once  /* see math.h */
#include <stddef.h>
void *malloc(size_t);
void free(void *);


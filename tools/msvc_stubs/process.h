#pragma once  /* see math.h */
#include <stdint.h>
uintptr_t _beginthreadex(void *, unsigned, unsigned(__stdcall *)(void *), void *, unsigned,
                         unsigned *);

#pragma once  /* see math.h */
typedef struct { unsigned long long part[32]; } jmp_buf[1];

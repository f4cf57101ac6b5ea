#pragma once  /* see math.h */
typedef void *HANDLE;
typedef void *PVOID;
typedef unsigned long DWORD;
typedef unsigned long ULONG;
typedef int BOOL;
#define TRUE 1
#define CALLBACK __stdcall
#define INFINITE 0xFFFFFFFFul
__declspec(dllimport) BOOL __stdcall CloseHandle(HANDLE);
/* the pool's lock, condition variables and once (Vista and later) */
typedef struct { PVOID Ptr; } SRWLOCK, *PSRWLOCK;
typedef struct { PVOID Ptr; } CONDITION_VARIABLE, *PCONDITION_VARIABLE;
typedef union { PVOID Ptr; } INIT_ONCE, *PINIT_ONCE;
typedef BOOL(CALLBACK *PINIT_ONCE_FN)(PINIT_ONCE, PVOID, PVOID *);
#define SRWLOCK_INIT {0}
#define CONDITION_VARIABLE_INIT {0}
#define INIT_ONCE_STATIC_INIT {0}
__declspec(dllimport) void __stdcall AcquireSRWLockExclusive(PSRWLOCK);
__declspec(dllimport) void __stdcall ReleaseSRWLockExclusive(PSRWLOCK);
__declspec(dllimport) void __stdcall InitializeConditionVariable(PCONDITION_VARIABLE);
__declspec(dllimport) BOOL __stdcall SleepConditionVariableSRW(PCONDITION_VARIABLE, PSRWLOCK, DWORD,
                                                               ULONG);
__declspec(dllimport) void __stdcall WakeConditionVariable(PCONDITION_VARIABLE);
__declspec(dllimport) BOOL __stdcall InitOnceExecuteOnce(PINIT_ONCE, PINIT_ONCE_FN, PVOID, PVOID *);

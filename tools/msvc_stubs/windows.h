#pragma once  /* see math.h */
typedef void *HANDLE;
typedef unsigned long DWORD;
typedef int BOOL;
#define INFINITE 0xFFFFFFFFul
__declspec(dllimport) DWORD __stdcall WaitForSingleObject(HANDLE, DWORD);
__declspec(dllimport) BOOL __stdcall CloseHandle(HANDLE);

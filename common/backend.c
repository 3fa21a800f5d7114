/* backend.c: chooses the backend table. The only file that mentions AEKIT_CUDA. */
#include "backend.h"

#include <stdio.h>
#include <string.h>

int backend_parse_device(const char *s, device_kind_t *out)
{
    if (strcmp(s, "auto") == 0) *out = DEVICE_AUTO;
    else if (strcmp(s, "cpu") == 0) *out = DEVICE_CPU;
    else if (strcmp(s, "cuda") == 0) *out = DEVICE_CUDA;
    else return -1;
    return 0;
}

const backend_t *backend_get(device_kind_t kind, char *err, size_t errlen)
{
    if (kind == DEVICE_CPU) return backend_cpu();
#ifdef AEKIT_CUDA
    const backend_t *b = backend_cuda(err, errlen);
    if (b) return b;
    if (kind == DEVICE_AUTO) return backend_cpu();
    return NULL;    /* err says why (no device, driver too old, ...) */
#else
    if (kind == DEVICE_AUTO) return backend_cpu();
    snprintf(err, errlen, "--device cuda: this build has no CUDA support (rebuild with CUDA=1)");
    return NULL;
#endif
}

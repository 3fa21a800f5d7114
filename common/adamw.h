/* adamw.h: torch.optim.AdamW (decoupled weight decay on every parameter, bias-corrected
 * moments) and PyTorch's GradScaler for 16-mixed, over one contiguous parameter block.
 * Dimension legend: P parameters. */
#ifndef AEKIT_ADAMW_H
#define AEKIT_ADAMW_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const backend_t *be;
    size_t n;                  /* P */
    float *exp_avg;            /* device [P] */
    float *exp_avg_sq;         /* device [P] */
    int64_t step;              /* steps taken (skipped fp16 steps do not count) */
    double lr, beta1, beta2, eps, weight_decay;
} adamw_t;

void adamw_init(adamw_t *o, const backend_t *be, size_t n, double lr, double weight_decay);
void adamw_free(adamw_t *o);
/* One update of params [P] from grads [P] (both device). */
void adamw_step(adamw_t *o, float *params, const float *grads);

/* torch.cuda.amp.GradScaler's dynamic loss scale (defaults: 65536, x2 after 2000 good steps,
 * x0.5 and skip the step on inf/NaN gradients). */
typedef struct {
    int enabled;
    double scale;
    int64_t growth_tracker;    /* good steps since the last change */
    double growth_factor, backoff_factor;
    int64_t growth_interval;
} grad_scaler_t;

void grad_scaler_init(grad_scaler_t *s, int enabled);
/* Unscale grads [P] in place; returns 1 when they hold inf/NaN (skip the optimiser step).
 * Then call grad_scaler_update with that result. */
int grad_scaler_unscale(grad_scaler_t *s, const backend_t *be, float *grads, size_t n);
void grad_scaler_update(grad_scaler_t *s, int found_inf);

#endif

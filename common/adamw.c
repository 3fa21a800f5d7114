/* adamw.c: torch.optim.AdamW's update and GradScaler's bookkeeping (see adamw.h). The scalars
 * are computed in double and rounded to float once, as PyTorch passes Python floats to its
 * float32 kernels; the elementwise update is the backend's (backend_cpu.c is the reference). */
#include "adamw.h"

#include <math.h>

void adamw_init(adamw_t *o, const backend_t *be, size_t n, double lr, double weight_decay)
{
    o->be = be;
    o->n = n;
    o->exp_avg = be->alloc(n * sizeof(float));
    o->exp_avg_sq = be->alloc(n * sizeof(float));
    o->step = 0;
    o->lr = lr;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->weight_decay = weight_decay;
}

void adamw_free(adamw_t *o)
{
    o->be->free(o->exp_avg);
    o->be->free(o->exp_avg_sq);
}

void adamw_step(adamw_t *o, float *params, const float *grads)
{
    o->step++;
    double bc1 = 1 - pow(o->beta1, (double)o->step);
    double bc2 = 1 - pow(o->beta2, (double)o->step);
    double step_size = o->lr / bc1;
    o->be->adamw(o->n, params, grads, o->exp_avg, o->exp_avg_sq,
                 (float)(1 - o->lr * o->weight_decay), (float)o->beta1, (float)(1 - o->beta1),
                 (float)o->beta2, (float)(1 - o->beta2), (float)step_size,
                 (float)sqrt(bc2), (float)o->eps);
}

void grad_scaler_init(grad_scaler_t *s, int enabled)
{
    s->enabled = enabled;
    s->scale = enabled ? 65536.0 : 1.0;
    s->growth_tracker = 0;
    s->growth_factor = 2.0;
    s->backoff_factor = 0.5;
    s->growth_interval = 2000;
}

int grad_scaler_unscale(grad_scaler_t *s, const backend_t *be, float *grads, size_t n)
{
    if (!s->enabled) return 0;
    /* GradScaler multiplies by the float32 reciprocal of the scale */
    return be->scale_check(n, grads, (float)(1.0 / s->scale));
}

void grad_scaler_update(grad_scaler_t *s, int found_inf)
{
    if (!s->enabled) return;
    if (found_inf) {
        s->scale *= s->backoff_factor;
        s->growth_tracker = 0;
    } else if (++s->growth_tracker == s->growth_interval) {
        s->scale *= s->growth_factor;
        s->growth_tracker = 0;
    }
}

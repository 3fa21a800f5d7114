/* h5util.h: HDF5 helpers shared by every file the toolkit reads or writes. */
#ifndef AEKIT_H5UTIL_H
#define AEKIT_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

void h5_quiet(void);                                     /* silence HDF5's error stack */
int h5_attr_write_str(hid_t loc, const char *name, const char *value);
int h5_attr_write_i64(hid_t loc, const char *name, int64_t value);
int h5_attr_write_f64(hid_t loc, const char *name, double value);
int h5_attr_write_i64v(hid_t loc, const char *name, const int64_t *v, int n);
/* Read back (any integer/float/string storage); return -1 when missing or wrong kind. */
int h5_attr_read_str(hid_t loc, const char *name, char *buf, size_t n);
int h5_attr_read_i64(hid_t loc, const char *name, int64_t *value);
int h5_attr_read_f64(hid_t loc, const char *name, double *value);
/* A chunked, optionally deflated 1-D or 2-D dataset created in one call and filled whole. */
hid_t h5_create_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                        int compress_level);
/* created_by string for this tool: "<prog> <version>: <command line>" in buf. */
void h5_created_by(char *buf, size_t n);
/* Write format, format_version, created_by and created_at on loc. */
int h5_stamp(hid_t loc, const char *format, int version);

/* Whole datasets, written and read in one call (checkpoints, metrics). All return 0 / -1. */
/* 1-D or 2-D datasets (rank 1 when d1 == 0), written / read whole. Reading checks the shape. */
int h5_write_f32(hid_t loc, const char *name, const float *v, int64_t d0, int64_t d1);
int h5_write_f64(hid_t loc, const char *name, const double *v, int64_t n);
int h5_write_i64(hid_t loc, const char *name, const int64_t *v, int64_t n);
int h5_write_u64(hid_t loc, const char *name, const uint64_t *v, int64_t n);
int h5_read_f32(hid_t loc, const char *name, float *v, int64_t d0, int64_t d1);
/* Length of a 1-D dataset (-1 when missing), then read it. */
int64_t h5_len(hid_t loc, const char *name);
int h5_read_f64(hid_t loc, const char *name, double *v, int64_t n);
int h5_read_i64(hid_t loc, const char *name, int64_t *v, int64_t n);
int h5_read_u64(hid_t loc, const char *name, uint64_t *v, int64_t n);
/* Rank and shape of a dataset; -1 when missing. */
int h5_shape(hid_t loc, const char *name, int64_t *d0, int64_t *d1);

#endif

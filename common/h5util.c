/* h5util.c: the HDF5 helpers every reader and writer in the toolkit shares: typed root
 * attributes, chunked datasets, the created_by/created_at stamp. See h5util.h. */
#include "h5util.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static int attr_write(hid_t loc, const char *name, hid_t type, hid_t space, const void *buf)
{
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t e = H5Awrite(a, type, buf);
    H5Aclose(a);
    return e < 0 ? -1 : 0;
}

int h5_attr_write_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    int r = attr_write(loc, name, t, s, &value);
    H5Sclose(s);
    H5Tclose(t);
    return r;
}

int h5_attr_write_i64(hid_t loc, const char *name, int64_t value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int r = attr_write(loc, name, H5T_NATIVE_INT64, s, &value);
    H5Sclose(s);
    return r;
}

int h5_attr_write_f64(hid_t loc, const char *name, double value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int r = attr_write(loc, name, H5T_NATIVE_DOUBLE, s, &value);
    H5Sclose(s);
    return r;
}

int h5_attr_write_i64v(hid_t loc, const char *name, const int64_t *v, int n)
{
    hsize_t d = (hsize_t)n;
    hid_t s = H5Screate_simple(1, &d, NULL);
    int r = attr_write(loc, name, H5T_NATIVE_INT64, s, v);
    H5Sclose(s);
    return r;
}

int h5_attr_read_str(hid_t loc, const char *name, char *buf, size_t n)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(ft) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mt, H5Tget_cset(ft));      /* HDF5 does not convert between csets */
        if (H5Tis_variable_str(ft) > 0) {
            char *s = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(buf, n, "%s", s);
                H5free_memory(s);
                rc = 0;
            }
        } else {
            size_t sz = H5Tget_size(ft);
            char *s = xcalloc(sz + 1, 1);
            H5Tset_size(mt, sz + 1);            /* room for the NUL of a NUL-padded string */
            if (H5Aread(a, mt, s) >= 0) {
                snprintf(buf, n, "%s", s);
                rc = 0;
            }
            free(s);
        }
        H5Tclose(mt);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

static int attr_read_num(hid_t loc, const char *name, hid_t memtype, void *out)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    H5T_class_t c = H5Tget_class(t);
    int r = -1;
    if ((c == H5T_INTEGER || c == H5T_FLOAT) && H5Sget_simple_extent_npoints(s) == 1)
        r = H5Aread(a, memtype, out) < 0 ? -1 : 0;
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
    return r;
}

int h5_attr_read_i64(hid_t loc, const char *name, int64_t *v)
{
    return attr_read_num(loc, name, H5T_NATIVE_INT64, v);
}

int h5_attr_read_f64(hid_t loc, const char *name, double *v)
{
    return attr_read_num(loc, name, H5T_NATIVE_DOUBLE, v);
}

hid_t h5_create_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                        int compress_level)
{
    hsize_t chunk[2];
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int empty = 0;
    for (int i = 0; i < rank; i++) empty |= dims[i] == 0;
    if (!empty) {
        /* about 256 KiB of rows per chunk, whole rows for 2-D */
        size_t esize = H5Tget_size(type);
        if (esize == 0 || H5Tis_variable_str(type) > 0) esize = 16;
        if (rank == 1) {
            chunk[0] = dims[0] < 65536 ? dims[0] : 65536;
        } else {
            hsize_t rowbytes = dims[1] * esize;
            hsize_t r = rowbytes ? (262144 + rowbytes - 1) / rowbytes : 1;
            chunk[0] = r < dims[0] ? r : dims[0];
            chunk[1] = dims[1];
        }
        H5Pset_chunk(dcpl, rank, chunk);
        if (compress_level > 0) {
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, (unsigned)compress_level);
        }
    }
    hid_t d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    return d;
}

void h5_created_by(char *buf, size_t n)
{
    snprintf(buf, n, "%s %s: %s", progname, AEKIT_VERSION, util_cmdline());
}

int h5_stamp(hid_t loc, const char *format, int version)
{
    char by[8192], at[32];
    h5_created_by(by, sizeof by);
    iso8601_now(at, sizeof at);
    int r = h5_attr_write_str(loc, "format", format);
    r |= h5_attr_write_i64(loc, "format_version", version);
    r |= h5_attr_write_str(loc, "created_by", by);
    r |= h5_attr_write_str(loc, "created_at", at);
    return r;
}

/* ---------------------------------------------------------------- whole datasets */

static int write_ds(hid_t loc, const char *name, hid_t ft, hid_t mt, const void *v, int64_t d0,
                    int64_t d1)
{
    hsize_t d[2] = {(hsize_t)d0, (hsize_t)d1};
    hid_t s = H5Screate_simple(d1 ? 2 : 1, d, NULL);
    hid_t ds = H5Dcreate2(loc, name, ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = -1;
    if (ds >= 0) {
        rc = (d0 == 0 || H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) ? 0 : -1;
        H5Dclose(ds);
    }
    H5Sclose(s);
    return rc;
}

int h5_write_f32(hid_t loc, const char *name, const float *v, int64_t d0, int64_t d1)
{
    return write_ds(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v, d0, d1);
}
int h5_write_f64(hid_t loc, const char *name, const double *v, int64_t n)
{
    return write_ds(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, n, 0);
}
int h5_write_i64(hid_t loc, const char *name, const int64_t *v, int64_t n)
{
    return write_ds(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, v, n, 0);
}
int h5_write_u64(hid_t loc, const char *name, const uint64_t *v, int64_t n)
{
    return write_ds(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, v, n, 0);
}

int h5_shape(hid_t loc, const char *name, int64_t *d0, int64_t *d1)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t s = H5Dget_space(ds);
    hsize_t d[2] = {0, 0};
    int rank = H5Sget_simple_extent_ndims(s);
    if (rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(s, d, NULL);
    H5Sclose(s);
    H5Dclose(ds);
    *d0 = (int64_t)d[0];
    *d1 = (int64_t)d[1];
    return rank >= 1 && rank <= 2 ? rank : -1;
}

static int read_ds(hid_t loc, const char *name, hid_t mt, void *v, int64_t d0, int64_t d1)
{
    int64_t a, b;
    int rank = h5_shape(loc, name, &a, &b);
    if (rank != (d1 ? 2 : 1) || a != d0 || b != d1) return -1;
    if (d0 == 0) return 0;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    int rc = H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0 ? -1 : 0;
    H5Dclose(ds);
    return rc;
}

int h5_read_f32(hid_t loc, const char *name, float *v, int64_t d0, int64_t d1)
{
    return read_ds(loc, name, H5T_NATIVE_FLOAT, v, d0, d1);
}

int64_t h5_len(hid_t loc, const char *name)
{
    int64_t a, b;
    return h5_shape(loc, name, &a, &b) == 1 ? a : -1;
}

int h5_read_f64(hid_t loc, const char *name, double *v, int64_t n)
{
    return read_ds(loc, name, H5T_NATIVE_DOUBLE, v, n, 0);
}
int h5_read_i64(hid_t loc, const char *name, int64_t *v, int64_t n)
{
    return read_ds(loc, name, H5T_NATIVE_INT64, v, n, 0);
}
int h5_read_u64(hid_t loc, const char *name, uint64_t *v, int64_t n)
{
    return read_ds(loc, name, H5T_NATIVE_UINT64, v, n, 0);
}

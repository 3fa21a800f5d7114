/* h5stats.c: the h5-stats report (see h5stats.h). Every dataset is read in bounded chunks:
 * the CSR matrix a row block of about BATCH_NNZ non-zeros at a time, topic lists and dense
 * matrices in row blocks, vectors in slices. Dimension legend: R rows, C columns, T topics.
 */
#include "h5stats.h"
#include "dataset.h"
#include "util.h"

#include <errno.h>
#include <hdf5.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_NNZ   (1 << 20)   /* non-zeros per CSR block */
#define BATCH_VALS  (1 << 20)   /* values per dense or vector block */
#define BATCH_ROWS  65536       /* rows per topic-list block */

typedef struct {
    char *name;                 /* "/data" */
    int rank;
    hsize_t dims[H5S_MAX_RANK];
    H5T_class_t cls;
    char type[64];
    int chunked;
    hsize_t chunk[H5S_MAX_RANK];
    char layout[32];            /* "chunked", "contiguous", "compact" */
    char filters[128];          /* "shuffle+deflate(4)" or "none" */
    int selected;
} dsinfo_t;

typedef struct {
    dsinfo_t *v;
    int n, cap;
} dslist_t;

static const char *g_path;      /* for error messages */

/* ---------------------------------------------------------------- listing */

static void type_name(hid_t t, char *buf, size_t n)
{
    H5T_class_t c = H5Tget_class(t);
    size_t sz = H5Tget_size(t);
    switch (c) {
    case H5T_INTEGER:
        snprintf(buf, n, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", sz * 8);
        break;
    case H5T_FLOAT:
        snprintf(buf, n, "float%zu", sz * 8);
        break;
    case H5T_STRING:
        if (H5Tis_variable_str(t) > 0) snprintf(buf, n, "string");
        else snprintf(buf, n, "string%zu", sz);
        break;
    case H5T_VLEN: {
        hid_t b = H5Tget_super(t);
        char sub[48];
        type_name(b, sub, sizeof sub);
        H5Tclose(b);
        snprintf(buf, n, "vlen %s", sub);
        break;
    }
    case H5T_COMPOUND: snprintf(buf, n, "compound"); break;
    case H5T_ENUM: snprintf(buf, n, "enum"); break;
    case H5T_ARRAY: snprintf(buf, n, "array"); break;
    case H5T_OPAQUE: snprintf(buf, n, "opaque"); break;
    case H5T_REFERENCE: snprintf(buf, n, "reference"); break;
    case H5T_BITFIELD: snprintf(buf, n, "bitfield"); break;
    default: snprintf(buf, n, "other"); break;
    }
}

static void filter_names(hid_t dcpl, char *buf, size_t n)
{
    int nf = H5Pget_nfilters(dcpl);
    buf[0] = 0;
    for (int i = 0; i < nf; i++) {
        unsigned flags, cd[8];
        size_t ncd = 8;
        char name[64] = "";
        H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof name, name,
                                        NULL);
        char one[80];
        switch (f) {
        case H5Z_FILTER_DEFLATE:
            snprintf(one, sizeof one, "deflate(%u)", ncd > 0 ? cd[0] : 0u);
            break;
        case H5Z_FILTER_SHUFFLE: snprintf(one, sizeof one, "shuffle"); break;
        case H5Z_FILTER_FLETCHER32: snprintf(one, sizeof one, "fletcher32"); break;
        case H5Z_FILTER_SZIP: snprintf(one, sizeof one, "szip"); break;
        case H5Z_FILTER_NBIT: snprintf(one, sizeof one, "nbit"); break;
        case H5Z_FILTER_SCALEOFFSET: snprintf(one, sizeof one, "scaleoffset"); break;
        default: snprintf(one, sizeof one, "filter%d", (int)f); break;
        }
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", len ? "+" : "", one);
    }
    if (!buf[0]) snprintf(buf, n, "none");
}

static herr_t visit_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    dslist_t *l = data;
    if (info->type != H5L_TYPE_HARD) return 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return 0;            /* a group */
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    dsinfo_t *e = &l->v[l->n++];
    memset(e, 0, sizeof *e);
    size_t len = strlen(name) + 2;
    e->name = xmalloc(len);
    snprintf(e->name, len, "/%s", name);
    hid_t s = H5Dget_space(d), t = H5Dget_type(d), p = H5Dget_create_plist(d);
    e->rank = H5Sget_simple_extent_ndims(s);
    if (e->rank > 0) H5Sget_simple_extent_dims(s, e->dims, NULL);
    e->cls = H5Tget_class(t);
    type_name(t, e->type, sizeof e->type);
    H5D_layout_t lay = H5Pget_layout(p);
    if (lay == H5D_CHUNKED) {
        e->chunked = 1;
        H5Pget_chunk(p, H5S_MAX_RANK, e->chunk);
        snprintf(e->layout, sizeof e->layout, "chunked");
    } else {
        snprintf(e->layout, sizeof e->layout, "%s", lay == H5D_COMPACT ? "compact" : "contiguous");
    }
    filter_names(p, e->filters, sizeof e->filters);
    H5Pclose(p);
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
    return 0;
}

static void dims_str(int rank, const hsize_t *d, char *buf, size_t n)
{
    if (rank <= 0) { snprintf(buf, n, "scalar"); return; }
    buf[0] = 0;
    for (int i = 0; i < rank; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%llu", i ? "x" : "", (unsigned long long)d[i]);
    }
}

static json_t *dims_json(int rank, const hsize_t *d)
{
    json_t *a = json_array();
    for (int i = 0; i < rank; i++) json_array_append_new(a, json_integer((json_int_t)d[i]));
    return a;
}

static dsinfo_t *find(dslist_t *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0) return &l->v[i];
    return NULL;
}

/* ---------------------------------------------------------------- reading helpers */

static void read_slab(hid_t d, hid_t memtype, int rank, hsize_t r0, hsize_t nr, hsize_t cols,
                      void *buf, const char *name)
{
    hsize_t off[2] = {r0, 0}, cnt[2] = {nr, cols};
    hid_t fs = H5Dget_space(d);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL);
    hid_t ms = H5Screate_simple(rank, cnt, NULL);
    herr_t e = H5Dread(d, memtype, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    if (e < 0) die("%s: %s: read failed", g_path, name);
}

/* Topic names [T] from a 1-D string dataset (fixed or variable length). */
static char **read_names(hid_t f, const char *name, int64_t *n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) die("%s: cannot open %s", g_path, name);
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    if (H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_ndims(s) != 1)
        die("%s: %s is not a 1-D string dataset", g_path, name);
    hsize_t len;
    H5Sget_simple_extent_dims(s, &len, NULL);
    char **names = xcalloc((size_t)len + 1, sizeof *names);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_cset(mt, H5Tget_cset(t));
    if (H5Tis_variable_str(t) > 0) {
        char **tmp = xcalloc((size_t)len + 1, sizeof *tmp);
        H5Tset_size(mt, H5T_VARIABLE);
        if (len && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0)
            die("%s: %s: read failed", g_path, name);
        for (hsize_t i = 0; i < len; i++) {
            names[i] = xstrdup(tmp[i] ? tmp[i] : "");
            H5free_memory(tmp[i]);
        }
        free(tmp);
    } else {
        size_t sz = H5Tget_size(t);
        char *buf = xcalloc((size_t)len * sz + 1, 1);
        H5Tset_size(mt, sz);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        if (len && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            die("%s: %s: read failed", g_path, name);
        for (hsize_t i = 0; i < len; i++) {
            names[i] = xcalloc(sz + 1, 1);
            memcpy(names[i], buf + i * sz, sz);
        }
        free(buf);
    }
    H5Tclose(mt);
    H5Sclose(s);
    H5Tclose(t);
    H5Dclose(d);
    *n = (int64_t)len;
    return names;
}

/* ---------------------------------------------------------------- the kinds */

static void report_csr(const char *path, const h5stats_opts_t *o, FILE *out, json_t *stats)
{
    dataset_t ds;
    char err[512];
    if (dataset_open(&ds, path, err, sizeof err) < 0) die("%s", err);
    csr_stats_t cs;
    csr_stats_init(&cs, ds.cols);
    csr_t m;
    csr_init(&m);
    for (int64_t r0 = 0; r0 < ds.rows;) {
        int64_t r1 = r0 + 1;
        while (r1 < ds.rows && ds.indptr[r1 + 1] - ds.indptr[r0] <= BATCH_NNZ) r1++;
        if (dataset_read_rows(&ds, r0, r1, &m, err, sizeof err) < 0) die("%s", err);
        csr_stats_add(&cs, m.rows, m.indptr, m.indices, m.data);
        r0 = r1;
    }
    csr_free(&m);
    int32_t *fid = xmalloc((size_t)(ds.cols + 1) * sizeof *fid);
    if (dataset_read_feature_ids(&ds, fid) < 0)
        die("%s: /feature_ids: cannot read %lld ids", path, (long long)ds.cols);
    if (o->fmt == STATS_JSON)
        json_object_set_new(stats, "csr", csr_stats_json(&cs, o->top, fid));
    else
        csr_stats_print(&cs, o->fmt == STATS_TSV ? "csr" : "/data, /indices, /indptr", o->top,
                        fid, o->fmt, out);
    free(fid);
    csr_stats_free(&cs);
    dataset_close(&ds);
}

static void report_targets(hid_t f, dslist_t *l, const h5stats_opts_t *o, FILE *out,
                           json_t *stats)
{
    dsinfo_t *e = find(l, "/targets");
    if (e->cls != H5T_VLEN || e->rank != 1)
        die("%s: /targets is not a 1-D variable-length dataset", g_path);
    int64_t T = 0;
    char **names = NULL;
    if (find(l, "/target_names")) {
        names = read_names(f, "/target_names", &T);
    } else {
        int64_t t = -1;
        if (h5_attr_read_i64(f, "num_target_categories", &t) == 0 && t >= 0) T = t;
    }
    target_stats_t ts;
    target_stats_init(&ts, T, names);
    hid_t d = H5Dopen2(f, "/targets", H5P_DEFAULT);
    hid_t mt = H5Tvlen_create(H5T_NATIVE_INT32);
    int64_t R = (int64_t)e->dims[0];
    hvl_t *vl = xcalloc(BATCH_ROWS, sizeof *vl);
    int64_t *tptr = xmalloc((BATCH_ROWS + 1) * sizeof *tptr);
    int32_t *tidx = NULL;
    int64_t tcap = 0;
    for (int64_t r0 = 0; r0 < R; r0 += BATCH_ROWS) {
        int64_t n = R - r0 < BATCH_ROWS ? R - r0 : BATCH_ROWS;
        hsize_t off = (hsize_t)r0, cnt = (hsize_t)n;
        hid_t fs = H5Dget_space(d);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &cnt, NULL);
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        if (H5Dread(d, mt, ms, fs, H5P_DEFAULT, vl) < 0)
            die("%s: /targets: read failed", g_path);
        int64_t total = 0;
        for (int64_t i = 0; i < n; i++) total += (int64_t)vl[i].len;
        if (total > tcap) {
            tcap = total;
            tidx = xrealloc(tidx, (size_t)tcap * sizeof *tidx);
        }
        tptr[0] = 0;
        for (int64_t i = 0; i < n; i++) {
            if (vl[i].len) memcpy(tidx + tptr[i], vl[i].p, vl[i].len * sizeof *tidx);
            tptr[i + 1] = tptr[i] + (int64_t)vl[i].len;
        }
        H5Dvlen_reclaim(mt, ms, H5P_DEFAULT, vl);
        H5Sclose(ms);
        H5Sclose(fs);
        target_stats_add(&ts, n, tptr, tidx);
    }
    H5Tclose(mt);
    H5Dclose(d);
    free(vl);
    free(tptr);
    free(tidx);
    if (o->fmt == STATS_JSON) json_object_set_new(stats, "/targets", target_stats_json(&ts));
    else target_stats_print(&ts, "/targets", o->fmt, out);
    target_stats_free(&ts);
    for (int64_t i = 0; i < T; i++) free(names[i]);
    free(names);
}

static void report_dense(hid_t f, const dsinfo_t *e, const h5stats_opts_t *o, FILE *out,
                         json_t *stats)
{
    int64_t R = (int64_t)e->dims[0], C = (int64_t)e->dims[1];
    dense_stats_t s;
    dense_stats_init(&s, C, o->zero_tol);
    int64_t rows = C > 0 ? BATCH_VALS / C : BATCH_VALS;
    if (rows < 1) rows = 1;
    float *buf = xmalloc((size_t)(rows * (C > 0 ? C : 1)) * sizeof *buf);
    hid_t d = H5Dopen2(f, e->name, H5P_DEFAULT);
    for (int64_t r0 = 0; r0 < R; r0 += rows) {
        int64_t n = R - r0 < rows ? R - r0 : rows;
        if (C > 0) read_slab(d, H5T_NATIVE_FLOAT, 2, (hsize_t)r0, (hsize_t)n, (hsize_t)C, buf,
                             e->name);
        dense_stats_add(&s, buf, n);
    }
    H5Dclose(d);
    free(buf);
    if (o->fmt == STATS_JSON) json_object_set_new(stats, e->name, dense_stats_json(&s));
    else dense_stats_print(&s, e->name, o->fmt, out);
    dense_stats_free(&s);
}

static void report_vector(hid_t f, const dsinfo_t *e, const h5stats_opts_t *o, FILE *out,
                          json_t *stats)
{
    int64_t R = (int64_t)e->dims[0];
    vec_stats_t s;
    vec_stats_init(&s);
    float *buf = xmalloc(BATCH_VALS * sizeof *buf);
    hid_t d = H5Dopen2(f, e->name, H5P_DEFAULT);
    for (int64_t r0 = 0; r0 < R; r0 += BATCH_VALS) {
        int64_t n = R - r0 < BATCH_VALS ? R - r0 : BATCH_VALS;
        read_slab(d, H5T_NATIVE_FLOAT, 1, (hsize_t)r0, (hsize_t)n, 1, buf, e->name);
        vec_stats_add(&s, buf, n);
    }
    H5Dclose(d);
    free(buf);
    if (o->fmt == STATS_JSON) json_object_set_new(stats, e->name, vec_stats_json(&s));
    else vec_stats_print(&s, e->name, o->fmt, out);
    vec_stats_free(&s);
}

/* ---------------------------------------------------------------- the report */

static void header(hid_t f, const char *path, dslist_t *l, const h5stats_opts_t *o, FILE *out,
                   json_t *root)
{
    char fmt[128] = "", by[8192] = "", at[64] = "", shape[128], chunk[128];
    int64_t ver = 0;
    int has_fmt = h5_attr_read_str(f, "format", fmt, sizeof fmt) == 0;
    if (has_fmt) h5_attr_read_i64(f, "format_version", &ver);
    int has_by = h5_attr_read_str(f, "created_by", by, sizeof by) == 0;
    int has_at = h5_attr_read_str(f, "created_at", at, sizeof at) == 0;
    if (o->fmt == STATS_JSON) {
        json_object_set_new(root, "file", json_string(path));
        json_object_set_new(root, "format", has_fmt ? json_string(fmt) : json_null());
        json_object_set_new(root, "format_version", json_integer(ver));
        if (has_by) json_object_set_new(root, "created_by", json_string(by));
        if (has_at) json_object_set_new(root, "created_at", json_string(at));
        json_t *a = json_array();
        for (int i = 0; i < l->n; i++) {
            dsinfo_t *e = &l->v[i];
            if (!e->selected) continue;
            json_t *d = json_object();
            json_object_set_new(d, "name", json_string(e->name));
            json_object_set_new(d, "shape", dims_json(e->rank, e->dims));
            json_object_set_new(d, "type", json_string(e->type));
            json_object_set_new(d, "layout", json_string(e->layout));
            json_object_set_new(d, "chunks", e->chunked ? dims_json(e->rank, e->chunk)
                                                        : json_null());
            json_object_set_new(d, "compression", json_string(e->filters));
            json_array_append_new(a, d);
        }
        json_object_set_new(root, "datasets", a);
        return;
    }
    if (o->fmt == STATS_TSV) {
        stats_tsv_header(out);
        fprintf(out, "file\tpath\t-\t%s\n", path);
        fprintf(out, "file\tformat\t-\t%s\n", has_fmt ? fmt : "-");
        fprintf(out, "file\tformat_version\t-\t%lld\n", (long long)ver);
        for (int i = 0; i < l->n; i++) {
            dsinfo_t *e = &l->v[i];
            if (!e->selected) continue;
            dims_str(e->rank, e->dims, shape, sizeof shape);
            if (e->chunked) dims_str(e->rank, e->chunk, chunk, sizeof chunk);
            else snprintf(chunk, sizeof chunk, "%s", e->layout);
            fprintf(out, "%s\tshape\t-\t%s\n", e->name, shape);
            fprintf(out, "%s\ttype\t-\t%s\n", e->name, e->type);
            fprintf(out, "%s\tchunks\t-\t%s\n", e->name, chunk);
            fprintf(out, "%s\tcompression\t-\t%s\n", e->name, e->filters);
        }
        return;
    }
    fprintf(out, "file: %s\n", path);
    if (has_fmt) fprintf(out, "format: %s version %lld\n", fmt, (long long)ver);
    else fprintf(out, "format: none (version 0)\n");
    if (has_by) fprintf(out, "created_by: %s\n", by);
    if (has_at) fprintf(out, "created_at: %s\n", at);
    fprintf(out, "\n%-20s %-18s %-12s %-14s %s\n", "dataset", "shape", "type", "chunks",
            "compression");
    for (int i = 0; i < l->n; i++) {
        dsinfo_t *e = &l->v[i];
        if (!e->selected) continue;
        dims_str(e->rank, e->dims, shape, sizeof shape);
        if (e->chunked) dims_str(e->rank, e->chunk, chunk, sizeof chunk);
        else snprintf(chunk, sizeof chunk, "%s", e->layout);
        fprintf(out, "%-20s %-18s %-12s %-14s %s\n", e->name, shape, e->type, chunk, e->filters);
    }
}

static int is_csr_part(const char *name)
{
    return !strcmp(name, "/data") || !strcmp(name, "/indices") || !strcmp(name, "/indptr");
}

static void section_break(const h5stats_opts_t *o, FILE *out)
{
    if (o->fmt == STATS_TEXT) fputc('\n', out);
}

void h5stats_report(const char *path, char *const *names, int n, const h5stats_opts_t *o,
                    FILE *out)
{
    g_path = path;
    h5_quiet();
    if (access(path, R_OK) != 0) die("%s:", path);
    if (H5Fis_hdf5(path) <= 0) die("%s: not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) die("%s: cannot open HDF5 file", path);
    dslist_t l = {0};
    if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, visit_cb, &l) < 0)
        die("%s: cannot list the datasets", path);

    for (int i = 0; i < l.n; i++) l.v[i].selected = n == 0;
    for (int i = 0; i < n; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s%s", names[i][0] == '/' ? "" : "/", names[i]);
        dsinfo_t *e = find(&l, buf);
        if (!e) die("%s: no dataset %s", path, buf);
        e->selected = 1;
    }
    int has_csr = find(&l, "/data") && find(&l, "/indices") && find(&l, "/indptr");
    int want_csr = 0, want_targets = 0;
    for (int i = 0; i < l.n; i++) {
        if (!l.v[i].selected) continue;
        if (has_csr && is_csr_part(l.v[i].name)) want_csr = 1;
        if (!strcmp(l.v[i].name, "/targets") ||
            (!strcmp(l.v[i].name, "/target_names") && find(&l, "/targets")))
            want_targets = 1;
    }

    json_t *root = o->fmt == STATS_JSON ? json_object() : NULL;
    json_t *stats = o->fmt == STATS_JSON ? json_object() : NULL;
    header(f, path, &l, o, out, root);
    if (want_csr) {
        section_break(o, out);
        report_csr(path, o, out, stats);
    }
    if (want_targets) {
        section_break(o, out);
        report_targets(f, &l, o, out, stats);
    }
    for (int i = 0; i < l.n; i++) {
        dsinfo_t *e = &l.v[i];
        if (!e->selected || e->cls != H5T_FLOAT) continue;
        if (has_csr && is_csr_part(e->name)) continue;
        if (e->rank == 2) {
            section_break(o, out);
            report_dense(f, e, o, out, stats);
        } else if (e->rank == 1) {
            section_break(o, out);
            report_vector(f, e, o, out, stats);
        }
    }
    if (root) {
        json_object_set_new(root, "statistics", stats);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (!s) die("cannot format JSON output");
        fputs(s, out);
        fputc('\n', out);
        free(s);
        json_decref(root);
    }
    for (int i = 0; i < l.n; i++) free(l.v[i].name);
    free(l.v);
    H5Fclose(f);
}

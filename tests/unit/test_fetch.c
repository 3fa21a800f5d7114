/* Unit test for common/fetch.c without a network: SHA-256 of files against the FIPS 180-2
 * test vectors, sha256sum-file parsing, and the URLs built for each source (default, JMLR,
 * --base-url), which the bats suite cannot reach offline. Exits non-zero on the first failure. */
#include "fetch.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond) do { \
    if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
                   failures++; } } while (0)
#define CHECK_STR(a, b) do { \
    const char *a_ = (a), *b_ = (b); \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
        fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__, a_ ? a_ : "(null)", \
                b_ ? b_ : "(null)"); failures++; } } while (0)

static char tmpdir[] = "/tmp/aekit-fetch-unit-XXXXXX";

static const char *write_file(const char *name, const char *data, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) die("cannot write %s:", path);
    return path;
}

static void test_sha256(void)
{
    /* FIPS 180-2 appendix B test vectors */
    char hex[FETCH_SHA256_HEX + 1];
    CHECK(fetch_sha256_file(write_file("empty", "", 0), hex) == 0);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(fetch_sha256_file(write_file("abc", "abc", 3), hex) == 0);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(fetch_sha256_file(write_file("two", m, strlen(m)), hex) == 0);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a': more than one read buffer */
    char *a = xmalloc(1000000);
    memset(a, 'a', 1000000);
    CHECK(fetch_sha256_file(write_file("million", a, 1000000), hex) == 0);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
    CHECK(fetch_sha256_file("/nonexistent/aekit", hex) == -1);
}

static void test_checksums(void)
{
    char err[512];
    fetch_item_t *v = NULL;
    const char *text =
        "# made by sha256sum\n"
        "\n"
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD  abc.gz\r\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *empty.gz\n";
    const char *p = write_file("sums", text, strlen(text));
    int n = fetch_checksums_read(p, &v, err, sizeof err);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(v[0].name, "abc.gz");
        CHECK_STR(v[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK_STR(v[1].name, "empty.gz");
        CHECK(v[0].url == NULL);
    }

    /* --only keeps list order of the checksums file; --base-url joins with one '/' */
    fetch_item_t *it = NULL;
    int bad = 0;
    int m = fetch_items_build(v, n, "empty.gz,abc.gz", FETCH_SRC_BASE, "file:///srv//", &it,
                              &bad, err, sizeof err);
    CHECK(m == 2 && !bad);
    if (m == 2) {
        CHECK_STR(it[0].url, "file:///srv/abc.gz");
        CHECK_STR(it[1].url, "file:///srv/empty.gz");
        CHECK_STR(it[1].sha256, v[1].sha256);
    }
    fetch_items_free(it, m);
    m = fetch_items_build(v, n, "abc.gz,nope", FETCH_SRC_BASE, "http://x", &it, &bad, err,
                          sizeof err);
    CHECK(m == -1 && bad);
    CHECK_STR(err, "--only: no file named 'nope'");
    m = fetch_items_build(v, n, NULL, FETCH_SRC_JMLR, NULL, &it, &bad, err, sizeof err);
    CHECK(m == -1 && !bad);
    CHECK_STR(err, "abc.gz: not one of the RCV1 files, so it has no JMLR URL; give --base-url");
    fetch_items_free(v, n);

    const char *bad_lines[][2] = {
        {"abc  x.gz\n", "sums:1: not a sha256sum line (HEX  NAME)"},
        {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
         "sums:1: not a sha256sum line (HEX  NAME)"},
        {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a b\n",
         "sums:1: bad file name 'a b' (letters, digits, '._-+' only)"},
        {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  ..\n",
         "sums:1: bad file name '..' (letters, digits, '._-+' only)"},
        {"zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\n",
         "sums:1: not a sha256sum line (HEX  NAME)"},
    };
    for (size_t i = 0; i < sizeof bad_lines / sizeof *bad_lines; i++) {
        p = write_file("sums", bad_lines[i][0], strlen(bad_lines[i][0]));
        CHECK(fetch_checksums_read(p, &v, err, sizeof err) == -1);
        char want[512];
        snprintf(want, sizeof want, "%s/%s", tmpdir, bad_lines[i][1]);
        CHECK_STR(err, want);
    }
}

static void test_table(void)
{
    char err[512];
    fetch_item_t *it = NULL;
    int bad = 0;
    int n = fetch_items_build(NULL, 0, NULL, FETCH_SRC_DEFAULT, NULL, &it, &bad, err, sizeof err);
    CHECK(n == RCV1_NFILES);
    if (n == RCV1_NFILES) {
        CHECK_STR(it[0].name, "lyrl2004_vectors_test_pt0.dat.gz");
        CHECK_STR(it[0].url, "https://ndownloader.figshare.com/files/5976069");
        CHECK_STR(it[5].name, "rcv1v2.topics.qrels.gz");
        CHECK_STR(it[5].url, "https://ndownloader.figshare.com/files/5976048");
        CHECK_STR(it[5].sha256, "2a98e5e5d8b770bded93afc8930d88299474317fe14181aee1466cc754d0d1c1");
    }
    fetch_items_free(it, n);
    n = fetch_items_build(NULL, 0, "rcv1v2.topics.qrels.gz,lyrl2004_vectors_train.dat.gz",
                          FETCH_SRC_JMLR, NULL, &it, &bad, err, sizeof err);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(it[0].url, "https://jmlr.csail.mit.edu/papers/volume5/lewis04a/"
                             "a13-vector-files/lyrl2004_vectors_train.dat.gz");
        CHECK_STR(it[1].name, "rcv1v2.topics.qrels.gz");
        CHECK_STR(it[1].url, "https://jmlr.csail.mit.edu/papers/volume5/lewis04a/"
                             "a08-topic-qrels/rcv1-v2.topics.qrels.gz");
    }
    fetch_items_free(it, n);
    n = fetch_items_build(NULL, 0, ",", FETCH_SRC_DEFAULT, NULL, &it, &bad, err, sizeof err);
    CHECK(n == -1 && bad);
    CHECK_STR(err, "--only: empty file name");
    /* every digest in the table is 64 lower-case hex digits, every name distinct */
    for (int i = 0; i < RCV1_NFILES; i++) {
        CHECK(strlen(rcv1_files[i].sha256) == FETCH_SHA256_HEX);
        CHECK(strspn(rcv1_files[i].sha256, "0123456789abcdef") == FETCH_SHA256_HEX);
        for (int k = 0; k < i; k++) CHECK(strcmp(rcv1_files[i].name, rcv1_files[k].name) != 0);
    }
}

int main(int argc, char **argv)
{
    util_init(argc, argv, "fetch");
    if (!mkdtemp(tmpdir)) die("mkdtemp:");
    test_sha256();
    test_checksums();
    test_table();
    const char *names[] = {"empty", "abc", "two", "million", "sums"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    if (failures) {
        fprintf(stderr, "fetch: %d check(s) failed\n", failures);
        return 1;
    }
    printf("fetch: all checks passed\n");
    return 0;
}

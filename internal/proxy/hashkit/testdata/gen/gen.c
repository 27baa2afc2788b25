/*
 * Golden-value generator for package hashkit. It links twemproxy's own
 * src/hashkit/*.c (nutcracker 0.5.0) against the stub headers in include/
 * and prints hash values and ketama/modula placements that the Go tests
 * compare against. Run ./gen.sh; the Go toolchain never builds this.
 */
#include <stdio.h>
#include <nc_core.h>
#include <nc_server.h>
#include <nc_hashkit.h>

typedef uint32_t (*hashfn)(const char *, size_t);

static const char *names[] = {
    "one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64",
    "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins",
};
static hashfn fns[] = {
    hash_one_at_a_time, hash_md5, hash_crc16, hash_crc32, hash_crc32a,
    hash_fnv1_64, hash_fnv1a_64, hash_fnv1_32, hash_fnv1a_32, hash_hsieh,
    hash_murmur, hash_jenkins,
};
#define NHASH 12

rstatus_t modula_update(struct server_pool *pool);
uint32_t modula_dispatch(const struct continuum *c, uint32_t n, uint32_t hash);

static void puthex(const uint8_t *k, size_t n)
{
    size_t i;
    if (n == 0) {
        printf("-");
    }
    for (i = 0; i < n; i++) {
        printf("%02x", k[i]);
    }
}

/* Hash at every alignment: jenkins and murmur read words, so all must agree. */
static uint32_t hash_aligned(hashfn f, const uint8_t *k, size_t n)
{
    static uint8_t buf[8192 + 16];
    uint32_t v = 0;
    int off;
    for (off = 0; off < 4; off++) {
        uint32_t w;
        memset(buf, 0xa5, sizeof(buf));
        memcpy(buf + off, k, n);
        w = f((const char *)buf + off, n);
        if (off > 0 && w != v) {
            fprintf(stderr, "alignment changes the hash\n");
            exit(1);
        }
        v = w;
    }
    return v;
}

static size_t make_key(int i, uint8_t *k)
{
    size_t n, j;
    switch (i % 5) {
    case 0:
        return (size_t)sprintf((char *)k, "key:%d", i);
    case 1:
        return (size_t)sprintf((char *)k, "user:%d:profile", i * 7919);
    case 2: /* binary, many bytes >= 0x80 */
        n = (size_t)(i % 37);
        for (j = 0; j < n; j++) {
            k[j] = (uint8_t)(i * 131 + j * 29 + 0x80);
        }
        return n;
    case 3:
        return (size_t)sprintf((char *)k, "%d", i);
    default: /* longer keys, every length mod 12 and 4 */
        n = 20 + (size_t)(i % 97);
        for (j = 0; j < n; j++) {
            k[j] = (uint8_t)('a' + (i + j) % 26);
        }
        return n;
    }
}

static void hashes(void)
{
    static const char *words[] = {
        "", "a", "b", "z", "ab", "abc", "abcd", "abcde", "foo", "bar",
        "hello world", "key:1", "key:12", "key:123", "foo{bar}baz",
        "The quick brown fox jumps over the lazy dog",
        "123456789", "twemproxy", "nutcracker", "redis",
    };
    uint8_t k[8192];
    size_t i, n;
    int h;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        n = strlen(words[i]);
        for (h = 0; h < NHASH; h++) {
            printf("%s ", names[h]);
            puthex((const uint8_t *)words[i], n);
            printf(" %u\n", hash_aligned(fns[h], (const uint8_t *)words[i], n));
        }
    }
    /* Every single byte, then runs of high bytes of each length. */
    for (i = 0; i < 256; i++) {
        k[0] = (uint8_t)i;
        for (h = 0; h < NHASH; h++) {
            printf("%s ", names[h]);
            puthex(k, 1);
            printf(" %u\n", hash_aligned(fns[h], k, 1));
        }
    }
    for (n = 2; n <= 40; n++) {
        for (i = 0; i < n; i++) {
            k[i] = (uint8_t)(0xff - i * 7);
        }
        for (h = 0; h < NHASH; h++) {
            printf("%s ", names[h]);
            puthex(k, n);
            printf(" %u\n", hash_aligned(fns[h], k, n));
        }
    }
    for (n = 100; n <= 8000; n = n * 3 + 1) {
        for (i = 0; i < n; i++) {
            k[i] = (uint8_t)(i * 251 + 3);
        }
        for (h = 0; h < NHASH; h++) {
            printf("%s ", names[h]);
            puthex(k, n);
            printf(" %u\n", hash_aligned(fns[h], k, n));
        }
    }
}

/*
 * A placement case: servers as nutcracker would hold them after parsing
 * (the ketama name derived as conf_add_server does), some marked ejected.
 */
struct srv {
    const char *addr;   /* as written in the config, without ":weight" */
    const char *name;   /* "" when the config gives none */
    uint32_t weight;
    int live;
};

/* The string conf_add_server stores in server->name. */
static void ketama_name(const struct srv *s, char *out)
{
    if (s->name[0] != '\0') {
        strcpy(out, s->name);
    } else if (s->addr[0] == '/') {
        sprintf(out, "%s:", s->addr);
    } else {
        const char *c = strrchr(s->addr, ':');
        if (strcmp(c + 1, "11211") == 0) {
            sprintf(out, "%.*s", (int)(c - s->addr), s->addr);
        } else {
            strcpy(out, s->addr);
        }
    }
}

static char namebuf[16][512];

/*
 * conf_validate_server sorts a pool's servers with string_compare on these
 * names (length first, then strncmp) and nutcracker keeps that order.
 */
static int name_cmp(const void *a, const void *b)
{
    const char *s1 = namebuf[*(const int *)a], *s2 = namebuf[*(const int *)b];
    size_t l1 = strlen(s1), l2 = strlen(s2);
    if (l1 != l2) {
        return l1 > l2 ? 1 : -1;
    }
    return strncmp(s1, s2, l1);
}

static void placement(const char *id, const char *dist, int h, const struct srv *ss, int n)
{
    struct server_pool pool;
    struct server servers[16];
    uint8_t k[256];
    int order[16];
    int i, nlive = 0;

    memset(&pool, 0, sizeof(pool));
    pool.auto_eject_hosts = 1;
    pool.server.nelem = (uint32_t)n;
    pool.server.elem = servers;
    pool.server.size = sizeof(servers[0]);
    printf("case %s %s %s %d\n", id, dist, names[h], n);
    for (i = 0; i < n; i++) {
        ketama_name(&ss[i], namebuf[i]);
        order[i] = i;
        printf("server %s %s %u %d\n", ss[i].addr, ss[i].name[0] ? ss[i].name : "-",
               ss[i].weight, ss[i].live);
    }
    qsort(order, (size_t)n, sizeof(order[0]), name_cmp);
    for (i = 0; i < n; i++) {
        const struct srv *s = &ss[order[i]];
        servers[i].name.data = (uint8_t *)namebuf[order[i]];
        servers[i].name.len = (uint32_t)strlen(namebuf[order[i]]);
        servers[i].weight = s->weight;
        servers[i].next_retry = s->live ? 0 : nc_usec_now() + 1000000;
        nlive += s->live;
    }
    if (strcmp(dist, "ketama") == 0) {
        ASSERT(ketama_update(&pool) == NC_OK);
    } else {
        ASSERT(modula_update(&pool) == NC_OK);
    }
    ASSERT(pool.nlive_server == (uint32_t)nlive);
    for (i = 0; i < 1000; i++) {
        size_t kn = make_key(i, k);
        uint32_t hv, idx;
        /* server_pool_hash: one server or an empty key hash to 0. */
        hv = (n == 1 || kn == 0) ? 0 : fns[h]((const char *)k, kn);
        if (strcmp(dist, "ketama") == 0) {
            idx = ketama_dispatch(pool.continuum, pool.ncontinuum, hv);
        } else {
            idx = modula_dispatch(pool.continuum, pool.ncontinuum, hv);
        }
        if (n == 1) {
            idx = 0;
        }
        /* Report the server's position in the config, as Pick does. */
        printf("%s%d", i ? " " : "picks ", order[idx]);
    }
    printf("\n");
    free(pool.continuum);
}

int main(int argc, char **argv)
{
    static const struct srv plain[] = {
        {"127.0.0.1:6379", "", 1, 1}, {"127.0.0.1:6380", "", 1, 1},
        {"127.0.0.1:6381", "", 1, 1}, {"127.0.0.1:6382", "", 1, 1},
    };
    static const struct srv weighted[] = {
        {"10.0.0.1:6379", "", 1, 1}, {"10.0.0.2:6379", "", 3, 1},
        {"10.0.0.3:6379", "", 7, 1}, {"redis-4.example.com:7000", "", 2, 1},
        {"10.0.0.5:6379", "", 10, 1},
    };
    static const struct srv named[] = {
        {"127.0.0.1:6379", "server1", 1, 1}, {"127.0.0.1:6380", "server2", 2, 1},
        {"127.0.0.1:6381", "server3", 1, 1}, {"127.0.0.1:6382", "alpha.beta", 5, 1},
    };
    static const struct srv unixmix[] = {
        {"/var/run/redis/a.sock", "", 1, 1}, {"/tmp/b.sock", "", 2, 1},
        {"127.0.0.1:11211", "", 1, 1}, {"memcache.local:11211", "", 3, 1},
        {"/tmp/c.sock", "cee", 1, 1},
    };
    static const struct srv ejected[] = {
        {"127.0.0.1:6379", "", 1, 1}, {"127.0.0.1:6380", "", 1, 0},
        {"127.0.0.1:6381", "", 2, 1}, {"127.0.0.1:6382", "", 1, 0},
        {"127.0.0.1:6383", "", 1, 1}, {"127.0.0.1:6384", "", 4, 1},
    };
    static const struct srv many[] = {
        {"h1:1", "", 1, 1}, {"h2:2", "", 1, 1}, {"h3:3", "", 1, 1}, {"h4:4", "", 1, 1},
        {"h5:5", "", 1, 1}, {"h6:6", "", 1, 1}, {"h7:7", "", 1, 1}, {"h8:8", "", 1, 1},
        {"h9:9", "", 1, 1}, {"h10:10", "", 1, 1}, {"h11:11", "", 1, 1}, {"h12:12", "", 1, 1},
        {"h13:13", "", 1, 1},
    };
    static const struct srv one[] = {{"127.0.0.1:6379", "", 1, 1}};
    /* A weight so small next to the other that it gets no ketama points. */
    static const struct srv lopsided[] = {
        {"10.1.0.1:6379", "", 1, 1}, {"10.1.0.2:6379", "", 1000, 1}, {"10.1.0.3:6379", "", 7, 1},
    };
    /*
     * Weights whose share, computed in float as ketama_update does, floors
     * one below the exact value (1/25 * 40 * 5 gives 7.9999995): 28 points
     * for the first server, not 32.
     */
    static const struct srv floaty[] = {
        {"10.2.0.1:6379", "", 1, 1}, {"10.2.0.2:6379", "", 2, 1}, {"10.2.0.3:6379", "", 4, 1},
        {"10.2.0.4:6379", "", 8, 1}, {"10.2.0.5:6379", "", 10, 1},
    };
    static struct srv eq[16], longnames[3];
    static char longbuf[3][400];
    char id[32];
    int ns;
    static const char *dists[] = {"ketama", "modula"};
    int d, h;

    if (argc > 1 && strcmp(argv[1], "hashes") == 0) {
        hashes();
        return 0;
    }
    /* The 1000 keys every case places, then each case's picks in key order. */
    for (h = 0; h < 1000; h++) {
        uint8_t k[256];
        size_t kn = make_key(h, k);
        printf("key ");
        puthex(k, kn);
        printf("\n");
    }
    for (d = 0; d < 2; d++) {
        for (h = 0; h < NHASH; h++) {
            placement("plain", dists[d], h, plain, 4);
            placement("weighted", dists[d], h, weighted, 5);
        }
        /* The rest vary the server list under a few hashes. */
        for (h = 0; h < NHASH; h += 5) {
            placement("named", dists[d], h, named, 4);
            placement("unixmix", dists[d], h, unixmix, 5);
            placement("ejected", dists[d], h, ejected, 6);
            placement("many", dists[d], h, many, 13);
            placement("one", dists[d], h, one, 1);
        }
    }
    /*
     * Equal weights for every pool size up to 16: the float arithmetic
     * behind ketama's points per server must floor exactly as in C.
     */
    for (ns = 2; ns <= 16; ns++) {
        static char addrs[16][32];
        for (h = 0; h < ns; h++) {
            sprintf(addrs[h], "192.168.%d.%d:6379", ns, h + 1);
            eq[h].addr = addrs[h];
            eq[h].name = "";
            eq[h].weight = (uint32_t)(ns % 3 == 0 ? 3 : 1);
            eq[h].live = 1;
        }
        sprintf(id, "equal%d", ns);
        placement(id, "ketama", 1, eq, ns);
    }
    placement("floaty", "ketama", 1, floaty, 5);
    placement("floaty", "ketama", 6, floaty, 5);
    placement("lopsided", "ketama", 1, lopsided, 3);
    placement("lopsided", "modula", 1, lopsided, 3);
    /*
     * Names near and past the 272 characters ketama formats a point name
     * into: "-N" suffixes get cut, so points repeat.
     */
    memset(longbuf, 0, sizeof(longbuf));
    memset(longbuf[0], 'x', 270);
    memset(longbuf[1], 'y', 300);
    memset(longbuf[2], 'z', 268);
    for (h = 0; h < 3; h++) {
        static char la[3][32];
        sprintf(la[h], "127.0.0.1:%d", 7000 + h);
        longnames[h].addr = la[h];
        longnames[h].name = longbuf[h];
        longnames[h].weight = (uint32_t)(h + 1);
        longnames[h].live = 1;
    }
    placement("longnames", "ketama", 1, longnames, 3);
    placement("longnames", "ketama", 10, longnames, 3);
    return 0;
}

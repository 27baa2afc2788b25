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

static void placement(const char *id, const char *dist, int h, const struct srv *ss, int n)
{
    struct server_pool pool;
    struct server servers[16];
    static char namebuf[16][512];
    uint8_t k[256];
    int i, nlive = 0;

    memset(&pool, 0, sizeof(pool));
    pool.auto_eject_hosts = 1;
    pool.server.nelem = (uint32_t)n;
    pool.server.elem = servers;
    pool.server.size = sizeof(servers[0]);
    printf("case %s %s %s %d\n", id, dist, names[h], n);
    for (i = 0; i < n; i++) {
        ketama_name(&ss[i], namebuf[i]);
        servers[i].name.data = (uint8_t *)namebuf[i];
        servers[i].name.len = (uint32_t)strlen(namebuf[i]);
        servers[i].weight = ss[i].weight;
        servers[i].next_retry = ss[i].live ? 0 : nc_usec_now() + 1000000;
        nlive += ss[i].live;
        printf("server %s %s %u %d\n", ss[i].addr, ss[i].name[0] ? ss[i].name : "-",
               ss[i].weight, ss[i].live);
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
        printf("%s%u", i ? " " : "picks ", idx);
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
    return 0;
}

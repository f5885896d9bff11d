/* A breadth-first reachability search for place/transition nets in plain C: the reference the
 * explorer is measured against in bench/bench_statespace.py.
 *
 *     cc -O2 -o bfs_reference bench/bfs_reference.c && ./bfs_reference < net.txt
 *
 * It reads the net as bench_statespace.write_reference_input writes it (whitespace-separated
 * integers):
 *
 *     P T
 *     bits[0..P-1]            bits each place's count is packed into (its bound must fit)
 *     initial[0..P-1]
 *     per transition:  nconds  (place lo hi) * nconds   nchanges  (place delta) * nchanges
 *
 * A transition is enabled when lo <= m[place] <= hi for each of its conditions (hi = -1: no upper
 * bound); these are the firing rule of petri.structure.is_enabled (consuming and read arcs give
 * lower bounds, inhibitor arcs and capacities upper ones). Firing adds delta to each place.
 *
 * Markings are packed into 64-bit words (the fields of petri's explorer: a place never straddles
 * two words); a successor is the parent's words plus the transition's change encoded the same
 * way (wrapping addition, exact because every count fits its field). Enabling is looked up by
 * pivot: each transition is filed under the input place with its largest lower bound, and a
 * marking checks only the transitions of the places it marks enough (plus any transition
 * without a lower bound), as the explorer does. The visited set is an
 * open-addressing hash table (linear probing, load at most 1/2) whose slots hold 32 bits of the
 * hash and the state number, so most probes never touch the state store. It stores, like the
 * explorer's graph: the packed markings, parent and parent transition per state, and source,
 * target and transition per edge (32-bit each). States are numbered in breadth-first order.
 *
 * It prints one JSON line: states, edges, deadlocks, the CPU time of the search (the reading
 * excluded), the bytes its arrays hold at the end and the growth of the resident set.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

typedef struct { int p; int64_t lo, hi; } Cond;

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q) { fprintf(stderr, "bfs_reference: out of memory\n"); exit(2); }
    return q;
}

static long rd(void) {
    long v;
    if (scanf("%ld", &v) != 1) { fprintf(stderr, "bfs_reference: bad input\n"); exit(2); }
    return v;
}

static inline uint64_t mix(uint64_t z) {          /* splitmix64's finaliser */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static long rss_bytes(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) { if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0; fclose(f); }
    return resident * 4096L;
}

int main(void) {
    int P = (int)rd(), T = (int)rd();
    uint32_t *word = malloc(sizeof(uint32_t) * (P + 1)), *shift = malloc(sizeof(uint32_t) * (P + 1));
    uint64_t *mask = malloc(sizeof(uint64_t) * (P + 1));
    int W = 1, s = 0, w = 0;
    for (int p = 0; p < P; p++) {
        int b = (int)rd();
        if (b < 1 || b > 63) { fprintf(stderr, "bfs_reference: bad bits\n"); return 2; }
        if (s + b > 64) { w++; s = 0; }
        word[p] = (uint32_t)w; shift[p] = (uint32_t)s; mask[p] = (1ULL << b) - 1; s += b;
    }
    W = w + 1;
    uint64_t *m0 = calloc(W, sizeof(uint64_t));
    for (int p = 0; p < P; p++) m0[word[p]] |= (uint64_t)rd() << shift[p];
    int *cstart = malloc(sizeof(int) * (T + 1));
    Cond *conds = NULL; int nconds = 0;
    uint64_t *dwords = calloc((size_t)T * W, sizeof(uint64_t));
    for (int t = 0; t < T; t++) {
        int nc = (int)rd();
        cstart[t] = nconds;
        conds = xrealloc(conds, sizeof(Cond) * (nconds + nc));
        for (int i = 0; i < nc; i++) {
            int p = (int)rd(); long lo = rd(), hi = rd();
            conds[nconds++] = (Cond){p, lo, hi < 0 ? INT64_MAX : hi};
        }
        int nd = (int)rd();
        for (int i = 0; i < nd; i++) {
            int p = (int)rd(); long d = rd();
            dwords[(size_t)t * W + word[p]] += (uint64_t)(int64_t)d << shift[p];
        }
    }
    cstart[T] = nconds;
    /* Each transition's pivot: its largest lower bound (first such place); a marking looks only
     * at the transitions of the pivot places it marks enough, plus those without a lower bound. */
    int *pivot = malloc(sizeof(int) * T), *bstart = calloc(P + 2, sizeof(int));
    int *bucket = malloc(sizeof(int) * (T + 1));
    int64_t *bmin = malloc(sizeof(int64_t) * (P + 1));
    for (int p = 0; p <= P; p++) bmin[p] = INT64_MAX;
    for (int t = 0; t < T; t++) {
        int best = -1; int64_t blo = 0;
        for (int c = cstart[t]; c < cstart[t + 1]; c++)
            if (conds[c].lo > blo) { blo = conds[c].lo; best = conds[c].p; }
        pivot[t] = best < 0 ? P : best;             /* P: no lower bound, always looked at */
        if (best < 0) blo = 0;
        if (blo < bmin[pivot[t]]) bmin[pivot[t]] = blo;
        bstart[pivot[t] + 1]++;
    }
    for (int p = 0; p <= P; p++) bstart[p + 1] += bstart[p];
    { int *fill = calloc(P + 1, sizeof(int));
      for (int t = 0; t < T; t++) bucket[bstart[pivot[t]] + fill[pivot[t]]++] = t;
      free(fill); }
    int npiv = 0, *pivots = malloc(sizeof(int) * (P + 1));
    for (int p = 0; p <= P; p++) if (bstart[p + 1] > bstart[p]) pivots[npiv++] = p;
    int64_t *m = malloc(sizeof(int64_t) * (P + 1));
    m[P] = 0;

    long rss0 = rss_bytes();
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);

    size_t cap = 1 << 16, n = 0;               /* states */
    uint64_t *store = malloc(sizeof(uint64_t) * W * cap);
    uint32_t *parent = malloc(sizeof(uint32_t) * cap), *ptrans = malloc(sizeof(uint32_t) * cap);
    size_t ecap = 1 << 18, ne = 0;             /* edges */
    uint32_t *esrc = malloc(sizeof(uint32_t) * ecap), *edst = malloc(sizeof(uint32_t) * ecap),
             *etr = malloc(sizeof(uint32_t) * ecap);
    size_t tcap = 1 << 17;                     /* hash table: (hash >> 32) << 32 | (state + 1) */
    uint64_t *table = calloc(tcap, sizeof(uint64_t));
    uint64_t *succ = malloc(sizeof(uint64_t) * W);
    long deadlocks = 0;

#define HASH(h, v) do { h = mix((v)[0]); for (int j_ = 1; j_ < W; j_++) h = mix(h + (v)[j_]); } while (0)
    memcpy(store, m0, sizeof(uint64_t) * W);
    parent[0] = UINT32_MAX; ptrans[0] = UINT32_MAX; n = 1;
    { uint64_t h; HASH(h, m0); table[h & (tcap - 1)] = (h & 0xFFFFFFFF00000000ULL) | 1; }

    for (size_t i = 0; i < n; i++) {
        int fired = 0;
        const uint64_t *mi = store + i * W;
        for (int p = 0; p < P; p++) m[p] = (int64_t)((mi[word[p]] >> shift[p]) & mask[p]);
        for (int k = 0; k < npiv; k++) {
          int q = pivots[k];
          if (m[q] < bmin[q]) continue;
          for (int b = bstart[q]; b < bstart[q + 1]; b++) {
            int t = bucket[b];
            int ok = 1;
            for (int c = cstart[t]; c < cstart[t + 1]; c++) {
                int64_t v = m[conds[c].p];
                if (v < conds[c].lo || v > conds[c].hi) { ok = 0; break; }
            }
            if (!ok) continue;
            const uint64_t *mcur = store + i * W;   /* the store may move when it grows */
            fired = 1;
            const uint64_t *d = dwords + (size_t)t * W;
            for (int j = 0; j < W; j++) succ[j] = mcur[j] + d[j];
            uint64_t h; HASH(h, succ);
            uint64_t tag = h & 0xFFFFFFFF00000000ULL;
            size_t slot = h & (tcap - 1);
            uint32_t id;
            for (;;) {
                uint64_t e = table[slot];
                if (e == 0) {                  /* a new state */
                    if (n == cap) {
                        cap *= 2;
                        store = xrealloc(store, sizeof(uint64_t) * W * cap);
                        parent = xrealloc(parent, sizeof(uint32_t) * cap);
                        ptrans = xrealloc(ptrans, sizeof(uint32_t) * cap);
                    }
                    id = (uint32_t)n++;
                    memcpy(store + (size_t)id * W, succ, sizeof(uint64_t) * W);
                    parent[id] = (uint32_t)i; ptrans[id] = (uint32_t)t;
                    table[slot] = tag | (id + 1ULL);
                    if (2 * n > tcap) {        /* grow the table: rehash every state */
                        free(table);
                        tcap *= 2;
                        table = calloc(tcap, sizeof(uint64_t));
                        for (size_t k = 0; k < n; k++) {
                            uint64_t hk; HASH(hk, store + k * W);
                            size_t sk = hk & (tcap - 1);
                            while (table[sk]) sk = (sk + 1) & (tcap - 1);
                            table[sk] = (hk & 0xFFFFFFFF00000000ULL) | (k + 1);
                        }
                    }
                    break;
                }
                if ((e & 0xFFFFFFFF00000000ULL) == tag) {
                    uint32_t k = (uint32_t)(e & 0xFFFFFFFFULL) - 1;
                    if (memcmp(store + (size_t)k * W, succ, sizeof(uint64_t) * W) == 0) { id = k; break; }
                }
                slot = (slot + 1) & (tcap - 1);
            }
            if (ne == ecap) {
                ecap *= 2;
                esrc = xrealloc(esrc, sizeof(uint32_t) * ecap);
                edst = xrealloc(edst, sizeof(uint32_t) * ecap);
                etr = xrealloc(etr, sizeof(uint32_t) * ecap);
            }
            esrc[ne] = (uint32_t)i; edst[ne] = id; etr[ne] = (uint32_t)t; ne++;
          }
        }
        deadlocks += !fired;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
    size_t held = cap * (sizeof(uint64_t) * W + 2 * sizeof(uint32_t)) + ecap * 3 * sizeof(uint32_t)
                  + tcap * sizeof(uint64_t);
    long rss_growth = ru.ru_maxrss * 1024L - rss0;
    printf("{\"states\": %zu, \"edges\": %zu, \"deadlocks\": %ld, \"words\": %d, \"cpu_s\": %.6f, "
           "\"held_bytes\": %zu, \"rss_growth_bytes\": %ld}\n",
           n, ne, deadlocks, W, cpu, held, rss_growth);
    return 0;
}

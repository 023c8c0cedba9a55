// SPDX-License-Identifier: GPL-2.0
/*
 * The sinks of user/sink/output.c print exactly what the frozen reference
 * prints (output_ref.c: output.c at b67a0dd, json-c and fprintf), byte for
 * byte, in JSON and in text (TZ=UTC), on o->f and on stderr, for every
 * output__* entry point:
 *
 *   seeds      the seed records of tests/fuzz/seeds.h, decoded and classified
 *   mutations  ISC_OUTEQ_N (default 15000) deterministic mutations of each
 *              seed (xorshift, fixed seed): hostile names (VM names from
 *              hostile cgroup paths and QEMU -name, user/ring/vm.c's
 *              derivation), every ioctl and
 *              IOMMU record flag combination, rets and latencies at the
 *              edges, every catalog command, random verdicts; that each
 *              case was reached is checked (it takes N >= 4096)
 *   direct     map_stats, drops and summary values at the edges
 *   corpus     every record of tests/fuzz/corpus/tracefile/ *.isc, replayed
 *              as trace -r replays it (session__replay)
 *   synthetic  a trace -w file written here (seeds and mutations, an ABI
 *              record halfway), replayed the same way: late mismatches,
 *              IOMMU and deny records through the replay
 *
 * With FILE.isc arguments, only those files are replayed and compared
 * (tests/guest.bats runs it on the guest's captures). A difference prints
 * the set, the record, the first byte that differs and both outputs; every
 * set must compare at least one record.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "output_ref.c"
#include "classify.h"
#include "rawfile.h"
#include "session.h"
#include "../fuzz/seeds.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define PICK(t)		((t)[below(ARRAY_LEN(t))])
#define MAX_SHOWN	20	/* differences printed in full, at most */

/* ---- both sinks side by side ---- */

struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

/* One mode: the real sink and the reference, each with its o->f and
 * its stderr captured. */
struct pair {
	bool json;
	struct isc_output real;
	struct ref_output ref;
	struct ref_output ref0;		/* the self-check: the reference on side 0 */
	struct capture out[2], err[2];	/* [0] real, [1] reference */
};

enum rec_kind { R_IOCTL, R_MISMATCH, R_IOMMU, R_DENY, R_MAP, R_DROPS, R_SUMMARY, R_KINDS };

static const char *const kind_name[R_KINDS] = {
	"ioctl", "mismatch", "iommu", "deny", "map_stats", "drops", "summary",
};

/* One record for one output__* call. */
struct rec {
	enum rec_kind kind;
	const struct isc_ioctl_view *iv;
	const struct isc_iommu_view *mv;
	const struct isc_deny_view *dv;
	const struct isc_verdict *cls;
	const char *policy;
	const struct isc_map_key *mk;
	const struct isc_map_stats *ms;
	uint64_t n1, n2;		/* drops: new, total */
	const struct isc_summary *sum;
};

/* A set of inputs: its counts, and a pair per mode. */
struct set {
	const char *name;
	long n;			/* records compared */
	long bad;		/* ... that printed differently */
	long by_kind[R_KINDS];
	long rejected;		/* mutations the decoder refused (not printed) */
	struct pair mode[2];	/* JSON, text */
};

static uint64_t rng;		/* xorshift64 state: set_begin starts it again */
static int shown;
static bool shown_like[R_KINDS][2][2];	/* kind, json, stderr: one printed */
static bool self_check_mode;	/* the reference on both sides, differences not printed */

static void capture_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f) {
		perror("open_memstream");
		exit(1);
	}
}

static void capture_close(struct capture *c)
{
	fclose(c->f);
	free(c->buf);
}

static void pair_open(struct pair *p, bool json, int64_t mono)
{
	int i;

	p->json = json;
	for (i = 0; i < 2; i++) {
		capture_open(&p->out[i]);
		capture_open(&p->err[i]);
	}
	output__init(&p->real, json, p->out[0].f);
	ref_output__init(&p->ref, json, p->out[1].f);
	ref_output__init(&p->ref0, json, p->out[0].f);
	p->real.mono_to_real_ns = p->ref.mono_to_real_ns = p->ref0.mono_to_real_ns = mono;
}

static void pair_close(struct pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		capture_close(&p->out[i]);
		capture_close(&p->err[i]);
	}
}

static void print_real(struct isc_output *o, const struct rec *r)
{
	switch (r->kind) {
	case R_IOCTL:
		output__ioctl(o, r->iv, r->cls);
		break;
	case R_MISMATCH:
		output__mismatch(o, r->iv, r->cls);
		break;
	case R_IOMMU:
		output__iommu(o, r->mv, r->cls);
		break;
	case R_DENY:
		output__deny(o, r->dv, r->policy);
		break;
	case R_MAP:
		output__map_stats(o, r->mk, r->ms);
		break;
	case R_DROPS:
		output__drops(o, r->n1, r->n2);
		break;
	default:
		output__summary(o, r->sum);
		break;
	}
}

static void print_ref(struct ref_output *o, const struct rec *r)
{
	switch (r->kind) {
	case R_IOCTL:
		ref_output__ioctl(o, r->iv, r->cls);
		break;
	case R_MISMATCH:
		ref_output__mismatch(o, r->iv, r->cls);
		break;
	case R_IOMMU:
		ref_output__iommu(o, r->mv, r->cls);
		break;
	case R_DENY:
		ref_output__deny(o, r->dv, r->policy);
		break;
	case R_MAP:
		ref_output__map_stats(o, r->mk, r->ms);
		break;
	case R_DROPS:
		ref_output__drops(o, r->n1, r->n2);
		break;
	default:
		ref_output__summary(o, r->sum);
		break;
	}
}

/* Where a and b first differ, or -1 if they are the same bytes. */
static long first_diff(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	if (alen == blen && !memcmp(a, b, alen))
		return -1;
	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return (long)i;
}

/* An output on one line, control and non-ASCII bytes as \xNN. */
static void show(const char *who, const char *buf, size_t len)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes): ", who, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			fputs("\\n", stderr);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('\n', stderr);
}

/* Compare one stream of both sides: 1 if they differ (printed). */
static int differ(const struct set *s, const struct rec *r, const struct pair *p,
		  const char *stream, const struct capture *a, const struct capture *b)
{
	long at = first_diff(a->buf, a->len, b->buf, b->len);
	bool *like = &shown_like[r->kind][p->json][a == &p->err[0]];

	if (at < 0)
		return 0;
	/* the first difference of each kind of record, mode and stream */
	if (!self_check_mode && !*like && shown < MAX_SHOWN) {
		*like = true;
		shown++;
		fprintf(stderr, "outeq: %s record %ld (%s, %s, %s): the outputs differ from byte %ld\n",
			s->name, s->n, kind_name[r->kind], p->json ? "json" : "text", stream, at);
		show("real", a->buf, a->len);
		show("ref ", b->buf, b->len);
	}
	return 1;
}

/* ra through the real sink, rb through the reference; the number of
 * streams that differ. */
static int pair_run(const struct set *s, struct pair *p, const struct rec *ra,
		    const struct rec *rb)
{
	FILE *saved = stderr;
	int bad = 0, i;

	stderr = p->err[0].f;
	if (self_check_mode)
		print_ref(&p->ref0, ra);
	else
		print_real(&p->real, ra);
	stderr = p->err[1].f;
	print_ref(&p->ref, rb);
	stderr = saved;
	for (i = 0; i < 2; i++) {
		fflush(p->out[i].f);
		fflush(p->err[i].f);
	}
	bad += differ(s, ra, p, "out", &p->out[0], &p->out[1]);
	bad += differ(s, ra, p, "stderr", &p->err[0], &p->err[1]);
	for (i = 0; i < 2; i++) {
		rewind(p->out[i].f);
		rewind(p->err[i].f);
	}
	return bad;
}

static void set_begin(struct set *s, const char *name, int64_t mono)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	rng = 0x9e3779b97f4a7c15ULL;	/* each set the same whatever ran before */
	pair_open(&s->mode[0], true, mono);
	pair_open(&s->mode[1], false, mono);
}

static void set_mono(struct set *s, int64_t mono)
{
	int i;

	for (i = 0; i < 2; i++)
		s->mode[i].real.mono_to_real_ns = s->mode[i].ref.mono_to_real_ns = mono;
}

static void set_rec2(struct set *s, const struct rec *ra, const struct rec *rb)
{
	int bad = pair_run(s, &s->mode[0], ra, rb) + pair_run(s, &s->mode[1], ra, rb);

	s->bad += bad > 0;
	s->by_kind[ra->kind]++;
	s->n++;
}

static void set_rec(struct set *s, const struct rec *r)
{
	set_rec2(s, r, r);
}

static void set_close(struct set *s)
{
	pair_close(&s->mode[0]);
	pair_close(&s->mode[1]);
}

/* Close the set and judge it: records compared, none different. */
static void set_end(struct set *s)
{
	int k;

	set_close(s);
	printf("outeq: %s: %ld records compared in JSON and text (", s->name, s->n);
	for (k = 0; k < R_KINDS; k++)
		printf("%s%s %ld", k ? ", " : "", kind_name[k], s->by_kind[k]);
	if (s->rejected)
		printf("; %ld mutations the decoder refused", s->rejected);
	printf("), %ld different\n", s->bad);
	CHECK(s->n > 0, "%s: no record compared", s->name);
	CHECK(s->bad == 0, "%s: %ld of %ld records print differently (the first of each kind above)",
	      s->name, s->bad, s->n);
}

/* ---- deterministic randomness ---- */

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static bool chance(unsigned int one_in)
{
	return below(one_in) == 0;
}

/* Bytes every escaper treats specially, NUL included. */
static const unsigned char special[] = {
	'/', '"', '\\', 0x01, 0x1f, 0x7f, 0x80, 0xff, 0x00, '\n', '\t', '\b', '\f', '\r',
	' ', '%', '<', '&', '\'', 'a', '0', 'Z', '{', '}', ':', ',', '[', ']', '~',
	0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xf0, 0x9f, 0x98, 0xc0, 0xaf,
};

static unsigned char rnd_byte(void)
{
	return chance(2) ? PICK(special) : (unsigned char)rnd();
}

/* up to size random bytes, zeros after them (not always a NUL) */
static void fill_str(char *dst, size_t size)
{
	size_t i, len = below(size + 1);

	for (i = 0; i < size; i++)
		dst[i] = i < len ? (char)rnd_byte() : 0;
}

static const int64_t rets[] = {
	0, -1, -4095, -4096, INT64_MIN, INT64_MAX, 1LL << 40, 4096, -22, -25, -515, -13, -95,
	-4000, 7,
};

static int64_t rnd_ret(void)
{
	return chance(8) ? (int64_t)rnd() : chance(8) ? -(int64_t)below(4200) : PICK(rets);
}

/* Latencies around the ties of %9.1f (us with one decimal) and past the
 * doubles' exact integers. */
static const uint64_t lats[] = {
	0, 1, 50, 150, 250, 350, 450, 550, 650, 750, 850, 950, 1050, 1150, 1250, 99950,
	12345650, 999999950, 1ULL << 53, (1ULL << 53) + 1, (1ULL << 53) + 50,
	(1ULL << 53) - 50, (1ULL << 54) + 150, UINT64_MAX, UINT64_MAX - 50,
	99999999999950ULL,
};

/* n * unit + a tie (unit / 2) or one off it, n up to the doubles' exact
 * integers */
static uint64_t near_tie(uint64_t unit)
{
	uint64_t n = chance(2) ? below(100000) : below((1ULL << 53) / unit);

	return n * unit + unit / 2 - 1 + below(3);
}

static uint64_t rnd_lat(void)
{
	switch (below(5)) {
	case 0:
		return PICK(lats);
	case 1:
		return near_tie(100);
	case 2:
		return rnd();
	case 3:
		return rnd() >> below(64);
	default:
		return below(100000000);
	}
}

static uint64_t ts_now = 1234ULL * 1000000000ULL;

/* Timestamps: mostly rising in bursts within a second, some anywhere. */
static uint64_t rnd_ts(void)
{
	static const uint64_t edges[] = {
		0, 1, 999999999, 1000000000, UINT64_MAX, UINT64_MAX - 999, 1ULL << 63,
	};

	switch (below(8)) {
	case 0:
		return rnd();
	case 1:
		return PICK(edges);
	default:
		ts_now += chance(4) ? below(3000000000ULL) : below(1000000);
		return ts_now;
	}
}

static uint32_t rnd_u32(void)
{
	static const uint32_t edges[] = { 0, 1, 2, 16, 0x7fffffff, 0x80000000, 0xffffffff };

	return chance(3) ? PICK(edges) : chance(2) ? (uint32_t)below(1000) : (uint32_t)rnd();
}

static uint64_t rnd_u64(void)
{
	static const uint64_t edges[] = {
		0, 1, 4096, 1ULL << 32, 1ULL << 53, INT64_MAX, 1ULL << 63, UINT64_MAX,
	};

	return chance(3) ? PICK(edges) : chance(2) ? below(1 << 20) : rnd();
}

/* ---- the catalog's commands ---- */

static const struct isc_ioctl_desc *cat;
static size_t nr_cat;

/* The i-th command (all in turn, then two no catalog row has) on an fd
 * of one of its kinds. */
static void pick_cmd(uint64_t i, uint32_t *cmd, uint8_t *kind)
{
	size_t j = i % (nr_cat + 2);
	uint8_t kinds[ISC_FD_KIND_MAX];
	int k, n = 0;

	if (j >= nr_cat) {
		*cmd = j == nr_cat ? 0x3bff : (uint32_t)rnd();
		*kind = (uint8_t)below(ISC_FD_KIND_MAX);
		return;
	}
	*cmd = cat[j].cmd;
	for (k = 0; k < ISC_FD_KIND_MAX; k++)
		if (cat[j].kinds & ISC_K(k))
			kinds[n++] = (uint8_t)k;
	*kind = n ? kinds[below(n)] : (uint8_t)below(ISC_FD_KIND_MAX);
}

/* Flags for d: a subset of its own, sometimes with bits it lacks. */
static uint32_t rnd_flags(const struct isc_ioctl_desc *d)
{
	uint32_t mask = d ? catalog__flags_mask(d) : 0;

	if (chance(16))
		return 0xffffffff;
	if (chance(8))
		return mask;
	return ((uint32_t)rnd() & mask) | (chance(4) ? (uint32_t)rnd() : 0);
}

/* A verdict of random classes and text. */
static void rnd_verdict(struct isc_verdict *c)
{
	uint32_t all = ISC_CLS_MAX >= 32 ? 0xffffffff : (1u << ISC_CLS_MAX) - 1;

	memset(c, 0, sizeof(*c));
	c->classes = chance(4) ? 0 : chance(8) ? all : (uint32_t)rnd() & all;
	c->kernel_size = chance(2) ? 0 : rnd_u32();
	c->bad_bits = chance(2) ? 0 : rnd_u32();
	c->need = chance(2) ? 0 : rnd_u32();
	fill_str(c->explain, sizeof(c->explain) - 1);
	fill_str(c->built_against, sizeof(c->built_against) - 1);
}

/* ---- mutations of the seed records ---- */

static void mut_arg_head(struct isc_ioctl_event *e, const struct isc_ioctl_desc *d)
{
	uint32_t argsz, flags;
	size_t k;

	for (k = 0; k < ISC_ARG_HEAD; k++)
		e->arg_head[k] = chance(4) ? 0 : (uint8_t)rnd();
	if (!d)
		return;
	if (d->arg == ISC_ARG_STR_PTR) {
		fill_str((char *)e->arg_head, ISC_ARG_HEAD);
		if (chance(3))
			memcpy(e->arg_head + below(ISC_ARG_HEAD - 9), "vf_token=", 9);
		return;
	}
	switch (below(6)) {
	case 0:
		argsz = 0;
		break;
	case 1:
		argsz = d->minsz;
		break;
	case 2:
		argsz = d->size;
		break;
	case 3:
		argsz = d->size + 8;
		break;
	default:
		argsz = rnd_u32();
		break;
	}
	memcpy(e->arg_head, &argsz, 4);
	if (d->flags_off >= 0 && d->flags_off + 4 <= ISC_ARG_HEAD) {
		flags = rnd_flags(d);
		memcpy(e->arg_head + d->flags_off, &flags, 4);
	}
}

/* The i-th mutation of an ioctl record: every ISC_IOF_* combination in
 * turn, each catalog command in turn (every 64). */
static void mut_ioctl(struct isc_ioctl_event *e, uint64_t i)
{
	static const int32_t fds[] = { -1, 0, 3, 1023, INT32_MAX, INT32_MIN };
	const struct isc_ioctl_desc *d;
	int k;

	e->iof = (uint32_t)(i % 128) | (chance(16) ? (uint32_t)rnd() & ~127u : 0);
	pick_cmd(i / 64, &e->cmd, &e->fd_kind);
	d = catalog__lookup(e->cmd, e->fd_kind);
	e->arg_len = chance(4) ? (uint8_t)below(ISC_ARG_HEAD + 1) : ISC_ARG_HEAD;
	mut_arg_head(e, d);
	e->argsz_out = rnd_u32();
	e->flags_out = chance(2) ? rnd_flags(d) : rnd_u32();
	e->nr_caps = chance(16) ? 255 : (uint8_t)below(ISC_MAX_CAPS + 3);
	for (k = 0; k < ISC_MAX_CAPS; k++) {
		uint32_t id = d && d->nr_caps && chance(2) ? d->caps[below(d->nr_caps)].id :
							     (uint16_t)rnd();

		e->caps[k] = id | (uint32_t)(chance(2) ? below(4) : (uint16_t)rnd()) << 16;
	}
	e->ret = rnd_ret();
	e->latency_ns = rnd_lat();
	e->hdr.ts_ns = rnd_ts();
	e->fd = chance(2) ? PICK(fds) : (int32_t)rnd();
	e->entry_hook = (uint8_t)below(4);
	e->exit_hook = (uint8_t)below(4);
	e->cgroup_id = rnd_u64();
	e->arg = rnd_u64();
	e->pid = rnd_u32();
	e->tid = rnd_u32();
	if (!chance(4))
		fill_str(e->comm, ISC_COMM_LEN);
}

/* The i-th mutation of an IOMMU record: every ISC_IEF_* combination in
 * turn. */
static void mut_iommu(struct isc_iommu_event *m, uint64_t i)
{
	static const int32_t groups[] = { -1, 0, 2, INT32_MAX, INT32_MIN };

	m->ief = (uint16_t)(i % 4096) | (chance(16) ? (uint16_t)rnd() & 0xf000 : 0);
	m->op = (uint16_t)(1 + below(ISC_IOMMU_FAULT_RESPONSE));
	m->hook = chance(4) ? ISC_IH_DMAR_FAULT : (uint16_t)(1 + below(ISC_IH_MAX - 1));
	m->domain = chance(3) ? 0 : rnd_u64();
	m->domain_type = rnd_u32();
	m->group_id = chance(2) ? PICK(groups) : (int32_t)rnd();
	if (!chance(4))
		fill_str(m->device, ISC_DEV_NAME_LEN);
	m->source_id = (uint16_t)rnd();
	m->iova = rnd_u64();
	m->size = rnd_u64();
	m->ret = rnd_ret();
	m->pid = rnd_u32();
	m->tid = rnd_u32();
	m->pasid = rnd_u32();
	m->uapi_argsz = rnd_u32();
	m->uapi_version = chance(2) ? (uint32_t)below(4) : rnd_u32();
	m->fault_reason = (uint8_t)rnd();
	m->parent = rnd_u64();
	m->hwpt_id = rnd_u32();
	m->fault_id = rnd_u32();
	m->data_type = rnd_u32();
	m->data_len = rnd_u32();
	m->flags = rnd_u32();
	m->entry_num = rnd_u32();
	m->entry_done = rnd_u32();
	m->count = rnd_u32();
	m->code = rnd_u32();
	m->cookie = rnd_u32();
	m->in_cmd = 0;
	m->in_kind = (uint8_t)below(ISC_FD_KIND_MAX);
	if (!chance(3))
		pick_cmd(rnd(), &m->in_cmd, &m->in_kind);
	m->cgroup_id = rnd_u64();
	m->hdr.ts_ns = rnd_ts();
	if (!chance(4))
		fill_str(m->comm, ISC_COMM_LEN);
}

/* The i-th mutation of a deny record: every reason in turn. */
static void mut_deny(struct isc_deny_event *d, uint64_t i)
{
	static const int32_t errs[] = { 0, 1, 13, 22, 95, 134, 4000, 4095 };
	const struct isc_ioctl_desc *desc;

	d->reason = (uint8_t)(1 + i % (ISC_DENY_REASON_MAX - 1));
	d->hook = (uint8_t)(1 + below(ISC_EH_EXIT));
	d->err = chance(2) ? PICK(errs) : (int32_t)below(4096);
	d->audit_only = (uint8_t)below(2);
	d->killed = (uint8_t)below(2);
	d->line = chance(2) ? 0 : rnd_u32();
	d->suppressed = chance(2) ? 0 : rnd_u32();
	pick_cmd(i / (ISC_DENY_REASON_MAX - 1), &d->cmd, &d->fd_kind);
	desc = catalog__lookup(d->cmd, d->fd_kind);
	d->flags = rnd_flags(desc);
	d->flags_later = rnd_flags(desc);
	d->bad = rnd_u32();
	d->argsz = rnd_u32();
	d->uid = rnd_u32();
	d->generation = rnd_u32();
	d->cgroup_id = rnd_u64();
	d->arg = rnd_u64();
	d->pid = rnd_u32();
	d->tid = rnd_u32();
	d->hdr.ts_ns = rnd_ts();
	if (!chance(4))
		fill_str(d->comm, ISC_COMM_LEN);
}

/* ---- records to the sinks ---- */

#define POLICY "/etc/iommuscope/vm.policy"
static char long_policy[400];	/* longer than the rule text holds */

static const char *rnd_policy(void)
{
	switch (below(4)) {
	case 0:
		return NULL;
	case 1:
		return POLICY;
	case 2:
		return "we\"ird\\/\x01\x7f\xff name.policy";
	default:
		return long_policy;
	}
}

/* What the mutations reached (checked after them: the generator must
 * keep reaching every case it is there for). */
static const unsigned char cov_bytes[] = { '/', '"', '\\', 0x01, 0x1f, 0x7f, 0x80, 0xff };

static struct {
	bool iof[128], ief[4096], ret[6], comm_byte[sizeof(cov_bytes)], *cmd;
	long comm_nul, fd_field, data_type_twice, lat_tie, lat_2p53, caps0, no_cls;
	bool vm_source[ISC_VM_SOURCES];
	long vm_escaped;
	long dev_byte[sizeof(cov_bytes)], dev_v2, dev_no_group, deny_dev;
} cov;

static void cover_comm(const char *comm)
{
	size_t n = strnlen(comm, ISC_COMM_LEN), k;

	for (k = 0; k < sizeof(cov_bytes); k++)
		cov.comm_byte[k] |= memchr(comm, cov_bytes[k], n) != NULL;
	if (n < ISC_COMM_LEN - 1 && memchr(comm + n, 0, ISC_COMM_LEN - n) &&
	    strnlen(comm + n + 1, ISC_COMM_LEN - n - 1))
		cov.comm_nul++;
}

static void cover_device(bool there, const struct isc_dev_id *d)
{
	size_t n = strnlen(d->name, ISC_DEV_NAME_LEN), k;

	if (!there)
		return;
	for (k = 0; k < sizeof(cov_bytes); k++)
		cov.dev_byte[k] += memchr(d->name, cov_bytes[k], n) != NULL;
	cov.dev_no_group += d->iommu_group < 0;
}

static void cover_ioctl(const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	static const int64_t edges[] = { 0, -1, -4095, -4096, INT64_MIN, 1LL << 40 };
	size_t k;
	int i;

	cov.iof[v->ev.iof % 128] = true;
	cover_device(v->has_device, &v->ev.dev);
	cov.dev_v2 += v->ev.hdr.version == 2 && (v->ev.iof & ISC_IOF_DEVICE);
	for (k = 0; k < ARRAY_LEN(edges); k++)
		cov.ret[k] |= v->ev.ret == edges[k];
	cover_comm(v->ev.comm);
	if (v->desc)
		cov.cmd[v->desc - cat] = true;
	for (i = 0; i < v->nr_fields; i++)
		cov.fd_field += !strcmp(v->field_keys[i], "fd");
	cov.lat_tie += v->ev.latency_ns % 100 == 50;
	cov.lat_2p53 += v->ev.latency_ns >= 1ULL << 53;
	cov.caps0 += v->caps_walked && !v->nr_caps;
	cov.no_cls += !cls;
}

static void cover_iommu(const struct isc_iommu_view *v)
{
	cov.ief[v->ev.ief % 4096] = true;
	cov.data_type_twice += (v->ev.ief & ISC_IEF_DATA) && (v->ev.ief & ISC_IEF_ENTRIES);
	cover_comm(v->ev.comm);
}

static bool all_set(const bool *b, size_t n)
{
	while (n--)
		if (!b[n])
			return false;
	return true;
}

static void check_coverage(void)
{
	size_t k;

	ASSERT_TRUE(all_set(cov.iof, ARRAY_LEN(cov.iof)), "every ISC_IOF_* combination");
	ASSERT_TRUE(all_set(cov.ief, ARRAY_LEN(cov.ief)), "every ISC_IEF_* combination");
	ASSERT_TRUE(all_set(cov.ret, ARRAY_LEN(cov.ret)), "ret 0, -1, -4095, -4096, INT64_MIN, 2^40");
	ASSERT_TRUE(all_set(cov.comm_byte, ARRAY_LEN(cov.comm_byte)),
		    "names with / \" \\ 0x01 0x1f 0x7f 0x80 0xff");
	ASSERT_TRUE(all_set(cov.cmd, nr_cat), "every catalog command");
	CHECK(cov.comm_nul > 0, "names with a NUL inside");
	CHECK(cov.fd_field > 0, "VFIO_DEVICE_IOEVENTFD's \"fd\" field over the fd key");
	CHECK(cov.data_type_twice > 0, "iommufd records with data_type added twice");
	CHECK(cov.lat_tie > 0 && cov.lat_2p53 > 0, "latencies on a %%9.1f tie and past 2^53");
	CHECK(cov.caps0 > 0, "capability chains walked and empty");
	CHECK(cov.no_cls > 0, "calls printed without a verdict");
	ASSERT_TRUE(all_set(cov.vm_source, ARRAY_LEN(cov.vm_source)),
		    "records without a VM and with one of every source");
	CHECK(cov.vm_escaped > 0, "VM names with escaped bytes");
	for (k = 0; k < sizeof(cov_bytes); k++)
		CHECK(cov.dev_byte[k] > 0, "device names with byte 0x%02x", cov_bytes[k]);
	CHECK(cov.dev_v2 > 0, "version 2 records that say ISC_IOF_DEVICE (no device part)");
	CHECK(cov.dev_no_group > 0, "devices without an IOMMU group");
	CHECK(cov.deny_dev > 0, "denials on a device");
}

/* An ioctl as trace prints it (classified), and as a late mismatch;
 * vary: sometimes with a random verdict or none instead. */
static void emit_ioctl(struct set *s, const struct isc_ioctl_view *v,
		       const struct isc_abi *abi, bool vary)
{
	struct isc_verdict cls;
	struct rec r = { .kind = R_IOCTL, .iv = v, .cls = &cls };

	classify__ioctl(abi, v, &cls);
	if (vary && chance(4))
		rnd_verdict(&cls);
	if (vary ? chance(8) : false)
		r.cls = NULL;
	if (vary)
		cover_ioctl(v, r.cls);
	set_rec(s, &r);
	if (!vary) {
		r.cls = NULL;
		set_rec(s, &r);
	}
	if (vary && !chance(4))
		return;
	if (!vary || chance(2))
		classify__caps_truncated(v, &cls);
	r.kind = R_MISMATCH;
	r.cls = &cls;
	set_rec(s, &r);
}

/* An IOMMU-core record; vary: another owner and group (what iommu_state
 * fills in), a random verdict or none. */
static void emit_iommu(struct set *s, struct isc_iommu_view *v, const struct isc_abi *abi,
		       bool vary)
{
	static const int groups[] = { -1, 0, 7, INT_MAX };
	struct isc_verdict cls;
	struct rec r = { .kind = R_IOMMU, .mv = v, .cls = &cls };

	if (vary && !chance(3)) {
		v->owner_pid = chance(3) ? v->ev.pid : rnd_u32();
		fill_str(v->owner_comm, ISC_COMM_LEN - 1);
		if (chance(4))
			v->group = PICK(groups);
	}
	classify__iommu(abi, v, &cls);
	if (vary && chance(4))
		rnd_verdict(&cls);
	if (vary && chance(8))
		r.cls = NULL;
	if (vary)
		cover_iommu(v);
	set_rec(s, &r);
	if (!vary) {
		r.cls = NULL;
		set_rec(s, &r);
	}
}

static void emit_deny(struct set *s, const struct isc_deny_view *v, bool vary)
{
	struct rec r = { .kind = R_DENY, .dv = v, .policy = vary ? rnd_policy() : POLICY };

	cov.deny_dev += v->has_device;
	cover_device(v->has_device, &v->ev.dev);
	set_rec(s, &r);
	if (!vary) {
		r.policy = NULL;
		set_rec(s, &r);
	}
}

/* A caller's VM as the live session derives it (user/ring/vm.c), from a
 * cgroup path and a QEMU -name with hostile bytes in the name; or none. */
static void rnd_vm(struct isc_vm *vm)
{
	static const char *const paths[] = {
		"/machine.slice/machine-qemu\\x2d3\\x2d%s.scope/libvirt/vcpu0",
		"/machine/qemu-7-%s.libvirt-qemu/emulator",
		"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0d2c_%s.slice/x.scope",
		"/kubepods/burstable/pod0d2c-aa%s/abc",
		"/system.slice/%s.service",
		"/user.slice/user-1000.slice/%s.scope",
	};
	char raw[40], path[256], cmd[96];
	int n;

	fill_str(raw, sizeof(raw) - 1);
	raw[sizeof(raw) - 1] = '\0';
	snprintf(path, sizeof(path), PICK(paths), raw);
	vm__from_cgroup(chance(5) ? "/" : path, vm);
	if (chance(3)) {
		n = snprintf(cmd, sizeof(cmd), "qemu-system-x86_64%c-name%cguest=%s,debug-threads=on",
			     0, 0, raw);
		if (vm__qemu_name(cmd, (size_t)n + 1, raw, sizeof(raw)))
			vm__combine(vm, raw);
	}
	cov.vm_source[vm->source] = true;
	cov.vm_escaped += strstr(vm->name, "\\x") != NULL;
}

/* A raw record (as the ring buffer hands it over) decoded and printed:
 * 0, or the decoder's error (nothing printed). */
static int feed(struct set *s, const void *rec, size_t len, const struct isc_abi *abi, bool vary)
{
	static struct isc_ioctl_view iv;
	static struct isc_iommu_view mv;
	static struct isc_deny_view dv;
	int err = decode__type(rec, len);

	if (err == ISC_EV_IOCTL) {
		err = decode__ioctl(rec, len, &iv);
		if (!err && vary && chance(2))
			rnd_vm(&iv.vm);
		if (!err)
			emit_ioctl(s, &iv, abi, vary);
	} else if (err == ISC_EV_IOMMU) {
		err = decode__iommu(rec, len, &mv);
		if (!err && vary && chance(2))
			rnd_vm(&mv.vm);
		if (!err)
			emit_iommu(s, &mv, abi, vary);
	} else if (err == ISC_EV_DENY) {
		err = decode__deny(rec, len, &dv);
		if (!err && vary && chance(2))
			rnd_vm(&dv.vm);
		if (!err)
			emit_deny(s, &dv, vary);
	}
	return err < 0 ? err : 0;
}

/* ---- the sets ---- */

struct seed {
	char name[32];
	size_t len;
	union {
		struct isc_event_hdr hdr;
		struct isc_ioctl_event e;
		struct isc_iommu_event m;
		struct isc_deny_event d;
		unsigned char b[512];
	} u;
};

static struct seed seeds[32];
static int nr_seeds;

static void collect(void *ctx, const char *name, const void *rec, size_t len)
{
	struct seed *sd = &seeds[nr_seeds];

	(void)ctx;
	if (nr_seeds == ARRAY_LEN(seeds) || len > sizeof(sd->u)) {
		fprintf(stderr, "outeq: seed %s does not fit\n", name);
		exit(1);
	}
	snprintf(sd->name, sizeof(sd->name), "%s", name);
	memcpy(&sd->u, rec, len);
	sd->len = len;
	nr_seeds++;
}

/* Every seed record, judged by both kernels (5.10 has the IOMMU UAPI). */
static void seeds_set(const struct isc_abi *abis)
{
	struct set s;
	int k, a, err;

	set_begin(&s, "seeds", 1700000000123456789LL);
	for (a = 0; a < 2; a++)
		for (k = 0; k < nr_seeds; k++) {
			err = feed(&s, &seeds[k].u, seeds[k].len, &abis[a], false);
			CHECK(!err, "seed %s: the decoder refuses it (%d)", seeds[k].name, err);
		}
	set_end(&s);
}

/* The device part (events.h struct isc_dev_id): there or not (the record's
 * size says), any name bytes, any group; now and then a version 2 record. */
static void mut_device(struct seed *m, struct isc_dev_id *d, uint32_t full, uint32_t v2)
{
	static const int32_t groups[] = { -1, 0, 5, INT32_MAX, INT32_MIN };

	memset(d, 0, sizeof(*d));
	if (!chance(4))
		fill_str(d->name, ISC_DEV_NAME_LEN);
	d->iommu_group = chance(2) ? PICK(groups) : (int32_t)rnd();
	m->len = chance(3) ? v2 : full;
	m->u.hdr.size = (uint32_t)m->len;
	m->u.hdr.version = chance(8) ? 2 : ISC_EVENT_VERSION;
}

static void mutate(struct seed *m, uint64_t i)
{
	if (m->u.hdr.type == ISC_EV_IOCTL) {
		mut_ioctl(&m->u.e, i);
		mut_device(m, &m->u.e.dev, ISC_IOCTL_DEV_SIZE, ISC_IOCTL_BASE_SIZE);
	} else if (m->u.hdr.type == ISC_EV_IOMMU) {
		mut_iommu(&m->u.m, i);
	} else {
		mut_deny(&m->u.d, i);
		mut_device(m, &m->u.d.dev, sizeof(m->u.d), ISC_DENY_V2_SIZE);
	}
}

/* now and then, bytes flipped anywhere (as a fuzzer would) */
static void flip(struct seed *m)
{
	size_t k, n;

	if (chance(16))
		for (n = 1 + below(4), k = 0; k < n; k++)
			m->u.b[below(m->len)] ^= (unsigned char)(1 + below(255));
}

static void mutations(const struct isc_abi *abis, long n)
{
	static const int64_t monos[] = { 0, -1, INT64_MIN, INT64_MAX, 1700000000123456789LL };
	struct seed m;
	struct set s;
	int k;
	long i;

	cov.cmd = calloc(nr_cat, sizeof(*cov.cmd));
	if (!cov.cmd)
		exit(1);
	set_begin(&s, "mutations", 1700000000123456789LL);
	for (k = 0; k < nr_seeds; k++)
		for (i = 0; i < n; i++) {
			if (i % 1000 == 999)
				set_mono(&s, chance(2) ? PICK(monos) : (int64_t)rnd());
			m = seeds[k];
			mutate(&m, (uint64_t)i);
			flip(&m);
			if (feed(&s, &m.u, m.len, &abis[i % 2], true))
				s.rejected++;
		}
	set_end(&s);
	check_coverage();
	free(cov.cmd);
}

/* map_stats, drops and summary: values only, no record behind them. */
static void direct(long n)
{
	static const char *const modes[] = { "full", "tracepoint", "we\"ird/\\\x01\xff" };
	static const uint64_t durs[] = {
		0, 50000000, 150000000, 250000000, 350000000, 450000000, 1000000000,
		999950000000ULL, 1ULL << 53, UINT64_MAX,
	};
	struct isc_summary sum;
	struct isc_map_stats st;
	struct isc_map_key k;
	struct set s;
	struct rec r = { .mk = &k, .ms = &st, .sum = &sum };
	long i;

	set_begin(&s, "direct", 0);
	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.tgid = rnd_u32();
		pick_cmd((uint64_t)i, &k.cmd, &k.fd_kind);
		st.map_calls = rnd_u64();
		st.map_bytes = rnd_u64();
		st.unmap_calls = rnd_u64();
		st.unmap_bytes = rnd_u64();
		fill_str(st.comm, ISC_COMM_LEN);
		r.kind = R_MAP;
		set_rec(&s, &r);
		r.kind = R_DROPS;
		r.n1 = rnd_u64();
		r.n2 = rnd_u64();
		set_rec(&s, &r);
		sum.mode = PICK(modes);
		sum.events = rnd_u64();
		sum.drops = rnd_u64();
		sum.invalid = rnd_u64();
		sum.inflight_full = rnd_u64();
		sum.duration_ns = chance(3) ? PICK(durs) : chance(2) ? near_tie(100000000) : rnd_u64();
		r.kind = R_SUMMARY;
		set_rec(&s, &r);
	}
	set_end(&s);
}

/* ---- trace -w files, replayed as trace -r does ---- */

static void rp_ioctl(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	struct rec r = { .kind = R_IOCTL, .iv = v, .cls = cls };

	set_rec(ctx, &r);
}

static void rp_mismatch(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	struct rec r = { .kind = R_MISMATCH, .iv = v, .cls = cls };

	set_rec(ctx, &r);
}

static void rp_iommu(void *ctx, const struct isc_iommu_view *v, const struct isc_verdict *cls)
{
	struct rec r = { .kind = R_IOMMU, .mv = v, .cls = cls };

	set_rec(ctx, &r);
}

static void rp_deny(void *ctx, const struct isc_deny_view *v)
{
	struct rec r = { .kind = R_DENY, .dv = v, .policy = POLICY };

	set_rec(ctx, &r);
}

static void rp_started(void *ctx, struct isc_session *sess, const struct isc_session_result *res)
{
	if (!sess)
		set_mono(ctx, res->mono_to_real_ns);
}

/* One file, its own set: every record as trace -r prints it, then the
 * summary trace prints after it. */
static void replay_file(const char *path, const char *name, long *counts)
{
	struct set s;
	struct isc_sink sink = {
		.ctx = &s, .ioctl = rp_ioctl, .mismatch = rp_mismatch, .iommu = rp_iommu,
		.deny = rp_deny, .race = rp_deny, .started = rp_started,
	};
	struct isc_session_result res;
	struct isc_summary sum = {};
	struct rec r = { .kind = R_SUMMARY, .sum = &sum };
	int err;

	set_begin(&s, name, 0);
	err = session__replay(path, &sink, &res);
	/* a corpus file stops reading when the catalog changes: docs/testing.md
	 * says how to record it again */
	CHECK(!err, "%s: the replay failed: %s", path, strerror(-err));
	CHECK(s.n > 0, "%s: no record in it", path);
	sum.mode = res.mode ? res.mode : "tracepoint";
	sum.events = res.records;
	sum.drops = res.drops;
	sum.invalid = res.invalid;
	sum.inflight_full = res.inflight_full;
	sum.duration_ns = res.duration_ns;
	set_rec(&s, &r);
	session__free(&res);
	if (counts)
		memcpy(counts, s.by_kind, sizeof(s.by_kind));
	set_end(&s);
}

/* A trace -w file written here: the seeds and mutations of them judged by
 * 6.12 (the header's ABI), then an ABI record (5.10: what a module reload
 * brings) and the same again; INFO calls left wanting room come out as
 * late mismatches. Every kind of record goes through the replay. */
static void synthetic(const struct isc_abi *abis, long n)
{
	char path[] = "/tmp/outeq-XXXXXX";
	long counts[R_KINDS] = {}, i;
	int fd = mkstemp(path), a, k, err;
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	struct seed m;

	CHECK(f, "%s: %s", path, strerror(errno));
	if (!f)
		return;
	err = rawfile__write_header(f, &abis[1], "6.12.95+deb12-amd64", "full",
				    1700000000123456789LL);
	for (a = 1; a >= 0 && !err; a--) {
		if (!a && rawfile__write_abi(f, &abis[0]) < 0)
			err = -EIO;
		for (k = 0; k < nr_seeds; k++)
			fwrite(&seeds[k].u, seeds[k].len, 1, f);
		for (i = 0; i < n; i++) {
			m = seeds[i % nr_seeds];
			mutate(&m, (uint64_t)i);
			fwrite(&m.u, m.len, 1, f);
		}
	}
	err = fclose(f) ? -errno : err;
	CHECK(!err, "%s: cannot write it: %s", path, strerror(-err));
	replay_file(path, "synthetic.isc", counts);
	unlink(path);
	CHECK(counts[R_IOCTL] > 0 && counts[R_MISMATCH] > 0 && counts[R_IOMMU] > 0 &&
	      counts[R_DENY] > 0, "synthetic.isc: a kind of record never came through the replay");
}

/* Every file of tests/fuzz/corpus/tracefile (found from this file's path:
 * the unit tests run from the top of the tree). */
static void corpus(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], name[300];
	struct dirent **de;
	const char *slash = strrchr(__FILE__, '/');
	int i, n, files = 0;

	snprintf(dir, sizeof(dir), "%.*s/../fuzz/corpus/tracefile",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	n = scandir(dir, &de, NULL, alphasort);
	CHECK(n > 0, "%s: %s", dir, n < 0 ? strerror(errno) : "empty");
	for (i = 0; i < n; i++) {
		size_t len = strlen(de[i]->d_name);

		if (len > 4 && !strcmp(de[i]->d_name + len - 4, ".isc")) {
			snprintf(path, sizeof(path), "%s/%s", dir, de[i]->d_name);
			snprintf(name, sizeof(name), "corpus/%s", de[i]->d_name);
			replay_file(path, name, NULL);
			files++;
		}
		free(de[i]);
	}
	if (n >= 0)
		free(de);
	CHECK(files > 0, "%s: no .isc file", dir);
}

/* ---- the comparison finds differences (the reference on both sides:
 * whatever the real sink prints) ---- */

static void self_check(const struct isc_abi *abi)
{
	static const char a[] = "{\"type\":\"ioctl\",\"pid\":1}\n";
	const long n = sizeof(a) - 1;
	static struct isc_ioctl_view v1, v2;
	struct rec r1 = { .kind = R_IOCTL, .iv = &v1 }, r2 = { .kind = R_IOCTL, .iv = &v2 };
	struct rec d1 = { .kind = R_DROPS, .n1 = 1 }, d2 = { .kind = R_DROPS, .n1 = 2 };
	char b[sizeof(a)];
	struct isc_verdict cls;
	struct set s;

	memcpy(b, a, sizeof(a));
	b[17] ^= 0x20;
	ASSERT_EQ(first_diff(a, n, a, n), -1, "the same bytes");
	ASSERT_EQ(first_diff(a, n, b, n), 17, "one byte changed");
	ASSERT_EQ(first_diff(a, n, a, n - 1), n - 1, "one byte less");
	ASSERT_EQ(first_diff(a, 0, b, 0), -1, "nothing on either side");
	ASSERT_EQ(decode__ioctl(&seeds[0].u, seeds[0].len, &v1), 0, "seed 0 decodes");
	classify__ioctl(abi, &v1, &cls);
	v2 = v1;
	v2.ev.pid++;
	r1.cls = r2.cls = &cls;
	set_begin(&s, "self-check", 0);
	self_check_mode = true;
	set_rec2(&s, &r1, &r1);
	ASSERT_EQ(s.bad, 0, "the same record: no difference");
	set_rec2(&s, &r1, &r2);
	ASSERT_EQ(s.bad, 1, "another pid: a difference");
	set_rec2(&s, &d1, &d2);
	ASSERT_EQ(s.bad, 2, "another drop count (text: on stderr): a difference");
	self_check_mode = false;
	set_close(&s);
}

int main(int argc, char **argv)
{
	const char *env = getenv("ISC_OUTEQ_N");
	long n = env ? atol(env) : 15000;
	struct isc_abi abis[2];
	int i;

	setenv("TZ", "UTC", 1);
	tzset();
	cat = catalog__ioctls(&nr_cat);
	memset(long_policy, 'p', sizeof(long_policy) - 1);
	memset(abis, 0, sizeof(abis));
	abi__learn(&abis[0], "5.10.0-32-amd64", false);
	abi__learn(&abis[1], "6.12.95", false);
	isc_seeds(collect, NULL);
	TEST(self_check)
		self_check(&abis[1]);
	if (argc > 1) {
		TEST(files)
			for (i = 1; i < argc; i++)
				replay_file(argv[i], argv[i], NULL);
	} else {
		TEST(seeds)
			seeds_set(abis);
		TEST(mutations)
			mutations(abis, n);
		TEST(direct)
			direct(n / 4 + 1);
		TEST(corpus)
			corpus();
		TEST(synthetic)
			synthetic(abis, 2000);
	}
	abi__free(&abis[0]);
	abi__free(&abis[1]);
	return harness_done("outeq");
}

// SPDX-License-Identifier: GPL-2.0
/* BPF programs' run statistics: turned on, read, and found on the host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "progstats.h"
#include "util.h"

#define STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

bool progstats__sysctl(void)
{
	char buf[16];

	return read_text_file(STATS_SYSCTL, buf, sizeof(buf)) > 0 && buf[0] == '1';
}

int progstats__enable(int *fd)
{
	*fd = -1;
	if (progstats__sysctl())
		return 0;
	*fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return *fd < 0 ? -errno : 0;
}

/* The sysctl only shows its own setting, not the fds held: one run of a
 * socket filter counted or not tells whether the kernel counts now. */
bool progstats__on(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char pkt[64] = {}, out[64];
	/* data_out given: the kernel may copy the packet back (valgrind
	 * flags a NULL there) */
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	struct isc_prog_stat ps = {};
	bool on = false;
	int fd;

	if (progstats__sysctl())
		return true;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "isc_stats_probe", "GPL", insns,
			   ARRAY_SIZE(insns), NULL);
	if (fd < 0)
		return false;
	if (!bpf_prog_test_run_opts(fd, &run) && !progstats__read(fd, &ps))
		on = ps.run_cnt > 0;
	close(fd);
	return on;
}

static void info_to_stat(const struct bpf_prog_info *info, struct isc_prog_stat *ps)
{
	const char *type = libbpf_bpf_prog_type_str(info->type);

	memset(ps, 0, sizeof(*ps));
	snprintf(ps->name, sizeof(ps->name), "%s", info->name);
	ps->type = type ? type : "unknown";
	ps->id = info->id;
	ps->run_cnt = info->run_cnt;
	ps->run_time_ns = info->run_time_ns;
	ps->recursion_misses = info->recursion_misses;
}

int progstats__read(int fd, struct isc_prog_stat *ps)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	info_to_stat(&info, ps);
	return 0;
}

int progstats__names_add(struct isc_prog_names *l, const struct bpf_object *obj)
{
	struct isc_prog_name *grown;
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		if (l->nr == l->cap) {
			grown = realloc(l->p, (l->cap * 2 + 16) * sizeof(*l->p));
			if (!grown)
				return -ENOMEM;
			l->p = grown;
			l->cap = l->cap * 2 + 16;
		}
		snprintf(l->p[l->nr].name, sizeof(l->p[l->nr].name), "%s", bpf_program__name(prog));
		snprintf(l->p[l->nr].attach, sizeof(l->p[l->nr].attach), "%s",
			 bpf_program__section_name(prog));
		l->p[l->nr++].type = bpf_program__type(prog);
	}
	return 0;
}

void progstats__names_free(struct isc_prog_names *l)
{
	free(l->p);
	memset(l, 0, sizeof(*l));
}

/* The entry of l a program named name of type is, NULL if none or more
 * than one (distinct names) are. name is the kernel's (BPF_OBJ_NAME_LEN - 1
 * chars at most: one that long is a prefix) unless full. *found: whether
 * any is. */
static const struct isc_prog_name *names_match(const struct isc_prog_names *l, const char *name,
					       bool full, int type, bool *found)
{
	const struct isc_prog_name *hit = NULL;
	size_t n = strlen(name);
	int i;

	*found = false;
	for (i = 0; i < l->nr; i++) {
		if (l->p[i].type != type || strncmp(l->p[i].name, name, n) ||
		    ((full || n < BPF_OBJ_NAME_LEN - 1) && l->p[i].name[n]))
			continue;
		if (hit && strcmp(hit->name, l->p[i].name))
			return NULL;	/* found stays true: ambiguous */
		*found = true;
		hit = &l->p[i];
	}
	return hit;
}

/* The programs' BTF objects loaded during one walk, by id (NULL: could
 * not be loaded; not tried again). */
struct btf_cache {
	int nr, cap;
	struct btf_cache_ent {
		__u32 id;
		struct btf *btf;
	} *e;
};

static struct btf *btf_cache_get(struct btf_cache *c, __u32 id)
{
	struct btf_cache_ent *grown;
	int i;

	for (i = 0; i < c->nr; i++)
		if (c->e[i].id == id)
			return c->e[i].btf;
	if (c->nr == c->cap) {
		grown = realloc(c->e, (c->cap * 2 + 8) * sizeof(*c->e));
		if (!grown)
			return NULL;
		c->e = grown;
		c->cap = c->cap * 2 + 8;
	}
	c->e[c->nr].id = id;
	c->e[c->nr].btf = btf__load_from_kernel_by_id(id);
	return c->e[c->nr++].btf;
}

static void btf_cache_free(struct btf_cache *c)
{
	int i;

	for (i = 0; i < c->nr; i++)
		btf__free(c->e[i].btf);
	free(c->e);
}

/* The full name of program fd whose kernel name info->name is cut at
 * BPF_OBJ_NAME_LEN - 1 chars: its first function's name in its BTF (as
 * bpftool prog show does). 0, or -errno (no BTF: keep the kernel's). */
static int full_name(int fd, const struct bpf_prog_info *info, struct btf_cache *c, char *buf,
		     size_t len)
{
	struct bpf_func_info finfo = {};
	struct bpf_prog_info fi = {};
	__u32 flen = sizeof(fi);
	const struct btf_type *t;
	struct btf *btf;

	if (strlen(info->name) < BPF_OBJ_NAME_LEN - 1 || !info->btf_id || !info->nr_func_info)
		return -ENOENT;
	fi.nr_func_info = 1;
	fi.func_info_rec_size = sizeof(finfo);
	fi.func_info = (__u64)(uintptr_t)&finfo;
	if (bpf_obj_get_info_by_fd(fd, &fi, &flen))
		return -errno;
	btf = btf_cache_get(c, info->btf_id);
	if (!btf)
		return -ENOENT;
	t = btf__type_by_id(btf, finfo.type_id);
	if (!t || !btf_is_func(t))
		return -ENOENT;
	snprintf(buf, len, "%s", btf__name_by_offset(btf, t->name_off));
	return 0;
}

/* Program fd: to fn if l has it (by its full name where the kernel's is
 * cut and its BTF tells). */
static void running_one(int fd, const struct isc_prog_names *l, struct btf_cache *c,
			void (*fn)(const struct isc_prog_stat *ps, void *ctx), void *ctx)
{
	const struct isc_prog_name *hit;
	struct bpf_prog_info info = {};
	struct isc_prog_stat ps;
	__u32 len = sizeof(info);
	char name[sizeof(ps.name)];
	bool found;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	info_to_stat(&info, &ps);
	hit = names_match(l, info.name, false, (int)info.type, &found);
	if (!found)
		return;
	if (!full_name(fd, &info, c, name, sizeof(name))) {
		/* a full name that l lacks: another tool's program */
		hit = names_match(l, name, true, (int)info.type, &found);
		if (!found)
			return;
		snprintf(ps.name, sizeof(ps.name), "%s", name);
	}
	if (hit) {
		snprintf(ps.name, sizeof(ps.name), "%s", hit->name);
		snprintf(ps.attach, sizeof(ps.attach), "%s", hit->attach);
	}
	fn(&ps, ctx);
}

int progstats__running(const struct isc_prog_names *l,
		       void (*fn)(const struct isc_prog_stat *ps, void *ctx), void *ctx)
{
	struct btf_cache c = {};
	__u32 id = 0;
	int fd, err;

	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;	/* gone meanwhile */
		running_one(fd, l, &c, fn, ctx);
		close(fd);
	}
	err = errno == ENOENT ? 0 : -errno;
	btf_cache_free(&c);
	return err;
}

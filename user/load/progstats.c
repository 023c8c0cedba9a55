// SPDX-License-Identifier: GPL-2.0
/* BPF programs' run statistics: turned on, read, and found on the host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
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
	char pkt[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);
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

/* The entry of l a program the kernel names kname (15 chars at most) of
 * type is, NULL if none or more than one (distinct names) are. *found:
 * whether any is. */
static const struct isc_prog_name *names_match(const struct isc_prog_names *l, const char *kname,
					       int type, bool *found)
{
	const struct isc_prog_name *hit = NULL;
	size_t n = strlen(kname);
	int i;

	*found = false;
	for (i = 0; i < l->nr; i++) {
		if (l->p[i].type != type || strncmp(l->p[i].name, kname, n) ||
		    (n < BPF_OBJ_NAME_LEN - 1 && l->p[i].name[n]))
			continue;
		if (hit && strcmp(hit->name, l->p[i].name))
			return NULL;	/* found stays true: ambiguous */
		*found = true;
		hit = &l->p[i];
	}
	return hit;
}

int progstats__running(const struct isc_prog_names *l,
		       void (*fn)(const struct isc_prog_stat *ps, void *ctx), void *ctx)
{
	const struct isc_prog_name *hit;
	struct bpf_prog_info info;
	struct isc_prog_stat ps;
	__u32 id = 0, len;
	bool found;
	int fd, err;

	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;	/* gone meanwhile */
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (err)
			continue;
		info_to_stat(&info, &ps);
		hit = names_match(l, info.name, (int)info.type, &found);
		if (!found && !hit)
			continue;
		if (hit) {
			snprintf(ps.name, sizeof(ps.name), "%s", hit->name);
			snprintf(ps.attach, sizeof(ps.attach), "%s", hit->attach);
		}
		fn(&ps, ctx);
	}
	return errno == ENOENT ? 0 : -errno;
}

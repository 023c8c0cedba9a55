// SPDX-License-Identifier: GPL-2.0
/* Policy files: compiled entries (what the LSM hook will judge by), rule
 * order, scopes, errno modes; parse errors carry file:line:col. The bad
 * files of tests/policies/bad are checked one by one in tests/policy.bats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "catalog_map.h"
#include "exeid.h"
#include "policy_file.h"
#include "harness.h"

#define MAX_ENTRIES 256

struct compiled {
	int n;
	struct isc_cat_key key[MAX_ENTRIES];
	struct isc_policy_entry e[MAX_ENTRIES];
};

static int collect(void *ctx, const struct isc_cat_key *k, const struct isc_policy_entry *e)
{
	struct compiled *c = ctx;

	if (c->n == MAX_ENTRIES)
		return -1;
	c->key[c->n] = *k;
	c->e[c->n++] = *e;
	return 0;
}

static const struct isc_policy_entry *entry(const struct compiled *c, const char *name, int kind)
{
	const struct isc_ioctl_desc *d = catalog__by_name(name);
	int i;

	for (i = 0; d && i < c->n; i++)
		if (c->key[i].cmd == d->cmd && c->key[i].fd_kind == (uint32_t)kind)
			return &c->e[i];
	return NULL;
}

static struct compiled cc;

static int compile(const char *text, const struct isc_abi *a, char *err)
{
	struct isc_policy p;
	int n;

	memset(&cc, 0, sizeof(cc));
	if (policy__parse("t.policy", text, strlen(text), &p, err, ISC_POLICY_ERR_LEN))
		return -1;
	n = policy__compile(&p, "t.policy", a, 0, 7, collect, &cc, err, ISC_POLICY_ERR_LEN);
	policy__free(&p);
	return n;
}

int main(void)
{
	struct isc_abi k612 = {}, k510 = {};
	const struct isc_policy_entry *e;
	char err[ISC_POLICY_ERR_LEN];
	size_t nr;
	int n, kinds = 0;

	abi__learn(&k612, "6.12.95+deb12-amd64", false);
	abi__learn(&k510, "5.10.0-32-amd64", false);
	TEST(builtin_policy_covers_every_ioctl_and_kind) {
		const struct isc_ioctl_desc *cat = catalog__ioctls(&nr);
		size_t i;
		int k;

		for (i = 0; i < nr; i++)
			for (k = 1; k < ISC_FD_KIND_MAX; k++)
				kinds += !!(cat[i].kinds & ISC_K(k));
		n = compile("", &k612, err);
		ASSERT_EQ(n, kinds + 1, "one entry per (ioctl, kind), and the unclassified one");
		e = entry(&cc, "VFIO_IOMMU_MAP_DMA", ISC_FD_CONTAINER);
		ASSERT_TRUE(e != NULL, "map entry");
		ASSERT_EQ(e->nr_rules, 1, "just the default rule");
		ASSERT_EQ(e->rules[0].action, ISC_RA_ALLOW, "default allows");
		ASSERT_EQ(e->rules[0].match, ISC_PM_FLAGS, "checking flags");
		ASSERT_EQ(e->rules[0].allowed, 0x7, "what 6.12's type1 defines");
		ASSERT_EQ(e->deny_errno, EPERM, "EPERM by default");
		ASSERT_EQ(e->generation, 7, "generation stamped");
		e = entry(&cc, "VFIO_IOMMU_MAP_DMA", ISC_FD_COMPAT);
		ASSERT_EQ(e->rules[0].allowed, 0x3, "iommufd's compat container: no VADDR");
		e = entry(&cc, "VFIO_DEVICE_GET_INFO", ISC_FD_DEVICE);
		ASSERT_EQ(e->rules[0].match, 0, "INFO flags are outputs: not judged");
		e = entry(&cc, "VFIO_DEVICE_FEATURE", ISC_FD_DEVICE);
		ASSERT_EQ(e->cat.index_mask, 0xffff, "feature index is not flags");
		e = entry(&cc, "VFIO_DEVICE_SET_IRQS", ISC_FD_DEVICE);
		ASSERT_EQ(e->cat.one_of[1], 0x38, "one action");
		n = compile("", &k510, err);
		e = entry(&cc, "VFIO_IOMMU_MAP_DMA", ISC_FD_CONTAINER);
		ASSERT_EQ(e->rules[0].allowed, 0x3, "5.10 has no VADDR");
	}
	TEST(rules_narrow_in_file_order_then_default) {
		n = compile("allow VFIO_IOMMU_MAP_DMA on container flags READ|VADDR uid 1000\n"
			    "deny VFIO_IOMMU_MAP_DMA uid 1001\n"
			    "allow VFIO_IOMMU_MAP_DMA size 32-48\n", &k510, err);
		ASSERT_TRUE(n > 0, err);
		e = entry(&cc, "VFIO_IOMMU_MAP_DMA", ISC_FD_CONTAINER);
		ASSERT_EQ(e->nr_rules, 4, "three rules and the default");
		ASSERT_EQ(e->rules[0].match, ISC_PM_UID | ISC_PM_FLAGS, "uid scope, flags");
		ASSERT_EQ(e->rules[0].uid, 1000, "uid");
		ASSERT_EQ(e->rules[0].allowed, 0x1, "VADDR is not 5.10's: never allowed there");
		ASSERT_EQ(e->rules[0].line, 1, "line 1");
		ASSERT_EQ(e->rules[1].action, ISC_RA_DENY, "deny");
		ASSERT_EQ(e->rules[1].line, 2, "line 2");
		ASSERT_EQ(e->rules[2].match, ISC_PM_SIZE | ISC_PM_FLAGS, "size, kernel flags");
		ASSERT_EQ(e->rules[2].min_size, 32, "min");
		ASSERT_EQ(e->rules[2].max_size, 48, "max");
		ASSERT_EQ(e->rules[2].allowed, 0x3, "no flags clause: what the kernel defines");
		e = entry(&cc, "VFIO_IOMMU_MAP_DMA", ISC_FD_COMPAT);
		ASSERT_EQ(e->nr_rules, 3, "rule 1 was for the container only");
	}
	TEST(settings) {
		n = compile("set errno kernel\nset default deny\nset unknown-ioctl deny\n"
			    "set unreadable allow\n", &k612, err);
		ASSERT_EQ(n, kinds + 2, "plus the entries for unknown commands and unclassified files");
		e = entry(&cc, "VFIO_IOMMU_MAP_DMA", ISC_FD_CONTAINER);
		ASSERT_EQ(e->deny_errno, EINVAL, "VFIO's own errno");
		ASSERT_EQ(e->rules[0].action, ISC_RA_DENY, "default deny");
		ASSERT_EQ(e->rules[0].line, 2, "from line 2");
		ASSERT_EQ(e->pflags, ISC_PF_UNREADABLE_OK, "fail-open");
		e = entry(&cc, "IOMMU_IOAS_MAP", ISC_FD_IOMMUFD);
		ASSERT_EQ(e->deny_errno, EOPNOTSUPP, "iommufd's own errno");
		ASSERT_EQ(cc.key[cc.n - 2].cmd, ISC_POLICY_OTHER_CMD, "unknown-command entry");
		ASSERT_EQ(cc.e[cc.n - 2].deny_errno, ENOTTY, "as the kernel would");
		n = compile("set errno EACCES\ndeny * exe /bin/sh\n", &k612, err);
		ASSERT_TRUE(n > 0, err);
		e = entry(&cc, "VFIO_GROUP_SET_CONTAINER", ISC_FD_GROUP);
		ASSERT_EQ(e->deny_errno, EACCES, "named errno");
		ASSERT_EQ(e->rules[0].action, ISC_RA_DENY, "'*' reaches every ioctl");
		ASSERT_EQ(e->rules[0].match, ISC_PM_EXE, "exe scope");
		ASSERT_TRUE(e->rules[0].exe[0].ino != 0, "resolved to an inode");
		ASSERT_EQ(e->rules[0].exe[1].ino, 0, "nothing replaced yet");
	}
	TEST(fail_closed_unclassified_and_race_settings) {
		const struct isc_policy_entry *u;

		n = compile("", &k612, err);
		u = &cc.e[cc.n - 1];
		ASSERT_EQ(cc.key[cc.n - 1].cmd, 0, "unclassified entry: cmd 0");
		ASSERT_EQ(cc.key[cc.n - 1].fd_kind, ISC_POLICY_UNCLASSIFIED_KIND, "kind 0xff");
		ASSERT_EQ(u->nr_rules, 1, "one rule");
		ASSERT_EQ(u->rules[0].action, ISC_RA_DENY, "refused by default");
		ASSERT_EQ(u->deny_errno, EPERM, "EPERM");
		ASSERT_EQ(u->pflags & ISC_PF_RACE_KILL, 0, "races reported only");
		n = compile("set unclassified allow\n", &k612, err);
		ASSERT_EQ(n, kinds, "no unclassified entry when allowed");
		n = compile("set errno kernel\nset unclassified deny\nset race kill\n", &k612, err);
		ASSERT_EQ(n, kinds + 1, "unclassified entry");
		ASSERT_EQ(cc.e[cc.n - 1].deny_errno, ENOTTY, "errno kernel: as for no ioctl at all");
		ASSERT_EQ(cc.e[cc.n - 1].rules[0].line, 2, "from line 2");
		e = entry(&cc, "VFIO_IOMMU_MAP_DMA", ISC_FD_CONTAINER);
		ASSERT_EQ(e->pflags & ISC_PF_RACE_KILL, ISC_PF_RACE_KILL, "race kill");
		ASSERT_EQ(compile("set unclassified maybe\n", &k612, err), -1, "bad value");
		CHECK(strstr(err, "deny or allow") != NULL, "%s", err);
		ASSERT_EQ(compile("set race ignore\n", &k612, err), -1, "bad value");
		CHECK(strstr(err, "report or kill") != NULL, "%s", err);
	}
	TEST(log_rate_on_every_entry) {
		int i, wrong = 0;

		n = compile("set unknown-ioctl deny\n", &k612, err);
		ASSERT_TRUE(n > 0, err);
		for (i = 0; i < cc.n; i++)
			wrong += cc.e[i].log_rate != ISC_LOG_RATE_DEFAULT;
		ASSERT_EQ(wrong, 0, "default 20 on every entry, refusals included");
		n = compile("set log-rate 5\nallow VFIO_IOMMU_MAP_DMA flags READ\n", &k612, err);
		ASSERT_TRUE(n > 0, err);
		for (i = 0; i < cc.n; i++)
			wrong += cc.e[i].log_rate != 5;
		ASSERT_EQ(wrong, 0, "set log-rate 5");
		n = compile("set log-rate unlimited\n", &k612, err);
		ASSERT_EQ(cc.e[0].log_rate, 0, "unlimited: 0");
		ASSERT_EQ(cc.e[cc.n - 1].log_rate, 0, "unlimited: unclassified entry too");
		ASSERT_EQ(compile("set log-rate 0\n", &k612, err), -1, "0 is not a rate");
		CHECK(strstr(err, "1-100000, or unlimited") != NULL, "%s", err);
	}
	TEST(compat_node_judges_iommufd_ioctls) {
		const struct isc_policy_entry *c;

		n = compile("allow IOMMU_IOAS_MAP on compat-container flags READABLE|WRITEABLE\n",
			    &k612, err);
		ASSERT_TRUE(n > 0, err);
		c = entry(&cc, "IOMMU_IOAS_ALLOC", ISC_FD_COMPAT);
		e = entry(&cc, "IOMMU_IOAS_ALLOC", ISC_FD_IOMMUFD);
		ASSERT_TRUE(c != NULL && e != NULL, "IOAS_ALLOC judged on both nodes");
		ASSERT_EQ(c->rules[0].allowed, e->rules[0].allowed, "the same flags on both");
		ASSERT_EQ(c->deny_errno, EPERM, "EPERM");
		c = entry(&cc, "IOMMU_IOAS_MAP", ISC_FD_COMPAT);
		ASSERT_EQ(c->nr_rules, 2, "the rule on the compat node, and the default");
		ASSERT_EQ(c->rules[0].allowed, 0x6, "READABLE|WRITEABLE");
		e = entry(&cc, "IOMMU_IOAS_MAP", ISC_FD_IOMMUFD);
		ASSERT_EQ(e->nr_rules, 1, "not on /dev/iommu");
	}
	TEST(exe_rule_follows_a_rename_over_it) {
		char dir[] = "/tmp/isc-exeXXXXXX", a[64], b[64], text[128], msg[512];
		struct isc_policy p, q;
		struct isc_exe_id first;
		FILE *f;

		ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp");
		snprintf(a, sizeof(a), "%s/qemu", dir);
		snprintf(b, sizeof(b), "%s/qemu.new", dir);
		f = fopen(a, "w");
		ASSERT_TRUE(f != NULL, "create");
		fclose(f);
		snprintf(text, sizeof(text), "\ndeny * exe %s\n", a);
		ASSERT_EQ(policy__parse("t.policy", text, strlen(text), &p, err, sizeof(err)), 0, err);
		first = p.rules[0].exe[0];
		ASSERT_TRUE(first.ino != 0 && first.dev != 0, "resolved");
		ASSERT_EQ(policy__exe_refresh(&p, msg, sizeof(msg)), 0, "nothing changed yet");
		f = fopen(b, "w");
		ASSERT_TRUE(f != NULL, "create the upgrade");
		fclose(f);
		ASSERT_EQ(rename(b, a), 0, "rename over");
		ASSERT_EQ(policy__exe_refresh(&p, msg, sizeof(msg)), 1, "one rule followed");
		ASSERT_TRUE(p.rules[0].exe[0].ino != first.ino, "the new file");
		ASSERT_EQ(p.rules[0].exe[1].ino, first.ino, "and the one it replaced");
		ASSERT_TRUE(p.rules[0].exe_fd[1] >= 0, "whose inode is held");
		/* reloaded: the file is the same, the older one carried over */
		ASSERT_EQ(policy__parse("t.policy", text, strlen(text), &q, err, sizeof(err)), 0, err);
		ASSERT_EQ(q.rules[0].exe[1].ino, 0, "a fresh parse knows one file");
		policy__exe_carry(&q, &p);
		ASSERT_EQ(q.rules[0].exe[1].ino, first.ino, "carried over");
		ASSERT_TRUE(q.rules[0].exe_fd[1] >= 0 && q.rules[0].exe_fd[1] != p.rules[0].exe_fd[1],
			    "its own fd");
		policy__free(&q);
		/* a file anyone could have put there is not followed */
		f = fopen(b, "w");
		ASSERT_TRUE(f != NULL, "create a writable one");
		fclose(f);
		ASSERT_EQ(chmod(b, 0666), 0, "chmod");
		ASSERT_EQ(rename(b, a), 0, "rename over");
		ASSERT_EQ(policy__exe_refresh(&p, msg, sizeof(msg)), 0, "not followed");
		CHECK(strstr(msg, "not followed") && strstr(msg, "mode 0666"), "said why: %s", msg);
		ASSERT_EQ(policy__exe_refresh(&p, msg, sizeof(msg)), 0, "still not");
		ASSERT_EQ(msg[0], 0, "said once");
		ASSERT_EQ(unlink(a), 0, "remove");
		ASSERT_EQ(policy__exe_refresh(&p, msg, sizeof(msg)), 0, "nothing to follow");
		CHECK(strstr(msg, "line 2: ") && strstr(msg, "No such file"), "said why: %s", msg);
		ASSERT_TRUE(p.rules[0].exe[0].ino != 0, "keeps matching what runs");
		policy__free(&p);
		rmdir(dir);
	}
	TEST(cgroup_depth_counts_like_the_kernel) {
		ASSERT_EQ(exeid__depth("/"), 0, "root");
		ASSERT_EQ(exeid__depth("/a"), 1, "one");
		ASSERT_EQ(exeid__depth("/a//b/"), 2, "slashes");
		ASSERT_EQ(compile("deny * cgroup /proc\n", &k612, err), -1, "not cgroup2");
		CHECK(strstr(err, "not a cgroup2 directory") != NULL, "%s", err);
	}
	TEST(errors_name_file_line_column) {
		ASSERT_EQ(compile("\n\n  allow VFIO_IOMMU_MAP_DMA flags READ|NOPE\n", &k612, err), -1,
			  "bad flag");
		CHECK(!strncmp(err, "t.policy:3:39: unknown flag 'NOPE'", 34), "%s", err);
		ASSERT_EQ(compile("deny VFIO_NOPE\n", &k612, err), -1, "bad ioctl");
		CHECK(!strcmp(err, "t.policy:1:6: unknown ioctl 'VFIO_NOPE'"), "%s", err);
	}
	abi__free(&k612);
	abi__free(&k510);
	return harness_done("test_policy");
}

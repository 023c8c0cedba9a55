// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "enforce.skel.h"
#include "enforce.h"
#include "loader.h"
#include "util.h"

/* The maps pinned, by the skeleton's names (a missing one does not
 * compile; variadic M: cppcheck expands no other nested macro calls). */
#define MAP_PINS(M)								\
	M(policy) M(events) M(enforce_stats) M(fops_kinds) M(rdev_kinds)	\
	M(deny_counts) M(anon_kinds) M(race_events)
#define MAP_NAME(...)	#__VA_ARGS__,
#define MAP_IN_SKEL(...)							\
	_Static_assert(offsetof(struct enforce_bpf, maps.__VA_ARGS__) <		\
		       sizeof(struct enforce_bpf), "enforce_bpf has " #__VA_ARGS__);
static const char *const map_pins[] = { MAP_PINS(MAP_NAME) };
MAP_PINS(MAP_IN_SKEL)

/* The enforcer's map fds, in map_pins order. */
#define ENFORCER_FDS(e)	{ &(e)->policy_fd, &(e)->events_fd, &(e)->stats_fd, \
			  &(e)->cls.fops, &(e)->cls.rdev, &(e)->counts_fd, \
			  &(e)->cls.anon, &(e)->race_fd }

/* A fresh enforcer: nothing loaded, no fd. */
static void enforcer_reset(struct isc_enforcer *e)
{
	int *fds[] = ENFORCER_FDS(e);
	size_t i;

	_Static_assert(ARRAY_SIZE(fds) == ARRAY_SIZE(map_pins), "one fd per pinned map");
	memset(e, 0, sizeof(*e));
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		*fds[i] = -1;
}

const char *enforcer__unsupported(const struct isc_kernel *k, char *buf, size_t len)
{
	if (!k->vmlinux_btf) {
		snprintf(buf, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux): BPF LSM programs need CONFIG_DEBUG_INFO_BTF");
		return buf;
	}
	if (!k->lsm_known) {
		snprintf(buf, len, "cannot read the active LSM list (/sys/kernel/security/lsm): is securityfs available?");
		return buf;
	}
	if (!k->bpf_lsm) {
		snprintf(buf, len,
			 "BPF LSM is not active (active LSMs: %s): add bpf to the lsm= boot parameter, e.g. lsm=%s,bpf (needs CONFIG_BPF_LSM); trace and audit work without it",
			 k->lsm, k->lsm);
		return buf;
	}
	return NULL;
}

static bool btf_has_func(const struct isc_btfs *b, const char *name)
{
	int id;

	return kernel__btfs_find(b, name, BTF_KIND_FUNC, &id, NULL) != NULL;
}

static int pin_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", ISC_PIN_DIR, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * The pin directory is root's alone. bpffs mounted without options is
 * 1777: anybody can create ISC_PIN_DIR before us, and then remove or
 * replace our pins in it (or make it a symlink to a directory of root's
 * whose files --stop would remove). An existing one must be a directory,
 * not a link, owned by root, mode 0700, in a bpffs root that only root
 * (or the sticky bit) keeps others from renaming it in. With create, a
 * missing one is made. 0 (fine or absent), or -1 with the reason printed.
 */
int enforcer__pin_dir(bool create)
{
	const char *parent = "/sys/fs/bpf";
	struct stat st;

	if (lstat(parent, &st)) {
		isc_err("%s: %s", parent, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 || ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))) {
		isc_err("%s is not root's (owner %d, mode %04o): refusing to pin in it", parent,
			(int)st.st_uid, st.st_mode & 07777);
		return -1;
	}
	if (create && mkdir(ISC_PIN_DIR, 0700) && errno != EEXIST) {
		isc_err("cannot create %s: %s", ISC_PIN_DIR, strerror(errno));
		return -1;
	}
	if (lstat(ISC_PIN_DIR, &st))
		return errno == ENOENT ? 0 : (isc_err("%s: %s", ISC_PIN_DIR, strerror(errno)), -1);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 07777) != 0700) {
		isc_err("%s is not iommuscope's: %s owned by uid %d, mode %04o (want a directory of root's, 0700); another user may have created it: check it, remove it ('rm -r %s'), start again",
			ISC_PIN_DIR, S_ISDIR(st.st_mode) ? "a directory" :
			S_ISLNK(st.st_mode) ? "a symlink" : "not a directory", (int)st.st_uid,
			st.st_mode & 07777, ISC_PIN_DIR);
		return -1;
	}
	return 0;
}

bool enforcer__pins_exist(void)
{
	char path[128];

	pin_path(path, sizeof(path), "file_ioctl");
	return access(path, F_OK) == 0;
}

/* An empty inner hash of the policy map's shape. */
static int new_inner(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);

	return bpf_map_create(BPF_MAP_TYPE_HASH, "isc_policy", sizeof(struct isc_cat_key),
			      sizeof(struct isc_policy_entry), ISC_POLICY_MAX_ENTRIES, &opts);
}

static int emit_entry(void *ctx, const struct isc_cat_key *k, const struct isc_policy_entry *e)
{
	return bpf_map_update_elem(*(int *)ctx, k, e, BPF_NOEXIST);
}

/* An fd of the policy hash in force, or -1 (none). */
static int inner_fd(int outer_fd)
{
	uint32_t zero = 0, id = 0;

	if (bpf_map_lookup_elem(outer_fd, &zero, &id) || !id)
		return -1;
	return bpf_map_get_fd_by_id(id);
}

/* The generation of the policy in force (0: none). */
static uint32_t current_generation(int outer_fd)
{
	struct isc_cat_key next;
	struct isc_policy_entry e;
	uint32_t gen = 0;
	int fd = inner_fd(outer_fd);

	if (fd < 0)
		return 0;
	if (!bpf_map_get_next_key(fd, NULL, &next) && !bpf_map_lookup_elem(fd, &next, &e))
		gen = e.generation;
	close(fd);
	return gen;
}

static int swap_into(int outer_fd, const struct isc_policy *p, const char *name,
		     const struct isc_abi *a, uint32_t pflags, uint32_t generation, char *err,
		     size_t errlen)
{
	uint32_t zero = 0;
	int inner, ret = -1;

	inner = new_inner();
	if (inner < 0) {
		snprintf(err, errlen, "failed to create a policy map: %s", strerror(errno));
		return -1;
	}
	if (policy__compile(p, name, a, pflags, generation, emit_entry, &inner, err, errlen) < 0)
		goto out;
	/* The one step that changes what calls are judged by. */
	if (bpf_map_update_elem(outer_fd, &zero, &inner, BPF_ANY)) {
		snprintf(err, errlen, "failed to install the policy: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	close(inner);
	return ret;
}

int enforcer__swap(struct isc_enforcer *e, const struct isc_policy *p, const char *name,
		   const struct isc_abi *a, uint32_t pflags, char *err, size_t errlen)
{
	/* (an adopted enforcer starts from the pinned policy's generation) */
	uint32_t gen = e->generation + 1;

	if (swap_into(e->policy_fd, p, name, a, pflags, gen, err, errlen))
		return -1;
	e->generation = gen;
	return 0;
}

int enforcer__swap_pinned(const struct isc_policy *p, const char *name,
			  const struct isc_abi *a, uint32_t pflags, uint32_t generation,
			  char *err, size_t errlen)
{
	char path[128];
	int fd, ret;

	pin_path(path, sizeof(path), "policy");
	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(err, errlen, "no pinned enforcement (%s: %s)", path, strerror(errno));
		return -1;
	}
	if (!generation)
		generation = current_generation(fd) + 1;
	ret = swap_into(fd, p, name, a, pflags, generation, err, errlen);
	close(fd);
	return ret;
}

/*
 * The race recheck at the fops handlers of include/handlers.def that BTF
 * lets us reach (module BTF: not on 5.10, where the call's exit has to
 * do). The programs are the skeleton's: one the table names but the
 * object lacks does not compile. true: at least one handler.
 */
static bool recheck_at_handlers(struct enforce_bpf *skel, const struct isc_btfs *btfs)
{
	const struct {
		const char *func;
		struct bpf_program *entry, *exit;
	} handlers[] = {
#define ISC_HANDLER(func, kind, id)						\
		{ #func, skel->progs.func##_recheck, skel->progs.func##_recheck_exit },
#include "handlers.def"
	};
	bool any = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(handlers); i++) {
		if (!btf_has_func(btfs, handlers[i].func))
			continue;
		bpf_program__set_autoload(handlers[i].entry, true);
		bpf_program__set_autoload(handlers[i].exit, true);
		any = true;
	}
	return any;
}

/*
 * Open the object with the programs this kernel can run: the LSM hooks,
 * and the race recheck at the handlers (fentry, fexit) where BTF lets
 * them be reached, or else at the syscall's exit.
 */
static struct enforce_bpf *open_enforce(struct isc_enforcer *e, const struct isc_btfs *btfs,
					uint32_t ringbuf_bytes)
{
	struct enforce_bpf *skel = enforce_bpf__open();
	struct isc_vfio_layout vl;
	struct bpf_program *prog;
	bool fentry;

	if (!skel) {
		isc_err("failed to open the enforce BPF object: %s", strerror(errno));
		return NULL;
	}
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	bpf_program__set_autoload(skel->progs.enforce_file_ioctl, true);
	e->compat = btf_has_func(btfs, "bpf_lsm_file_ioctl_compat");
	bpf_program__set_autoload(skel->progs.enforce_file_ioctl_compat, e->compat);
	fentry = recheck_at_handlers(skel, btfs);
	/* always: handlers of modules loaded later, 32-bit calls left over */
	bpf_program__set_autoload(skel->progs.enforce_exit_ioctl, true);
	e->race = fentry ? "fentry/fexit on the fops handlers, sys_exit_ioctl for the others" :
			   "sys_exit_ioctl";
	/* The shared helpers declare maps this object does not use (its
	 * inflight_nr counts the calls waiting for a race recheck). */
	bpf_map__set_max_entries(skel->maps.stats, 1);
	bpf_map__set_max_entries(skel->maps.events, ringbuf_bytes);
	loader__vfio_layout(&vl);
	skel->rodata->vfio_df_device_off = vl.df_device_off;
	skel->rodata->vfio_device_dev_off = vl.device_dev_off;
	return skel;
}

int enforcer__start(struct isc_enforcer *e, const struct isc_kernel *k, uint32_t ringbuf_bytes)
{
	struct isc_btfs btfs;
	struct enforce_bpf *skel;
	char why[512];
	int err;

	enforcer_reset(e);
	if (enforcer__unsupported(k, why, sizeof(why))) {
		isc_err("enforce: %s", why);
		return -1;
	}
	kernel__btfs_load(&btfs);
	skel = open_enforce(e, &btfs, ringbuf_bytes);
	kernel__btfs_free(&btfs);
	if (!skel)
		return -1;
	loader__quiet(true);
	err = enforce_bpf__load(skel);
	loader__quiet(false);
	if (err == -EPERM || err == -EACCES) {
		isc_err("the kernel refuses to load BPF LSM programs (%s): lockdown or a security policy forbids them",
			strerror(-err));
		goto fail;
	} else if (err) {
		isc_err("failed to load the enforce BPF programs: %s%s", strerror(-err),
			isc_verbose ? "" : " (-v shows the verifier's log)");
		goto fail;
	}
	e->skel = skel;
	e->policy_fd = bpf_map__fd(skel->maps.policy);
	e->events_fd = bpf_map__fd(skel->maps.events);
	e->race_fd = bpf_map__fd(skel->maps.race_events);
	e->stats_fd = bpf_map__fd(skel->maps.enforce_stats);
	e->cls.fops = bpf_map__fd(skel->maps.fops_kinds);
	e->cls.rdev = bpf_map__fd(skel->maps.rdev_kinds);
	e->cls.anon = bpf_map__fd(skel->maps.anon_kinds);
	e->counts_fd = bpf_map__fd(skel->maps.deny_counts);
	err = loader__fill_classifiers(&e->cls, k);
	if (err) {
		isc_err("failed to fill the fd classifiers: %s", strerror(-err));
		goto fail;
	}
	return 0;
fail:
	enforce_bpf__destroy(skel);
	e->skel = NULL;
	return -1;
}

/* Attach after the first policy is in: no call is ever judged by none. */
int enforcer__attach(struct isc_enforcer *e)
{
	int err = enforce_bpf__attach(e->skel);

	if (err) {
		isc_err("failed to attach the enforce BPF programs: %s", strerror(-err));
		return -1;
	}
	return 0;
}

/* The skeleton's link of a program, or NULL. */
static struct bpf_link *prog_link(struct enforce_bpf *skel, const struct bpf_program *prog)
{
	int j;

	for (j = 0; j < skel->skeleton->prog_cnt; j++)
		if (*skel->skeleton->progs[j].prog == prog)
			return *skel->skeleton->progs[j].link;
	return NULL;
}

int enforcer__pin(struct isc_enforcer *e)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	const char *what = ISC_PIN_DIR;
	char path[160];
	size_t i;
	int n = 0;

	if (enforcer__pin_dir(true))
		return -1;
	for (i = 0; i < ARRAY_SIZE(map_pins); i++) {
		what = map_pins[i];
		map = bpf_object__find_map_by_name(e->skel->obj, map_pins[i]);
		if (pin_path(path, sizeof(path), map_pins[i]) || !map || bpf_map__pin(map, path))
			goto fail;
	}
	bpf_object__for_each_program(prog, e->skel->obj) {
		struct bpf_link *link = prog_link(e->skel, prog);

		if (!bpf_program__autoload(prog) || prog == e->skel->progs.enforce_file_ioctl)
			continue;
		what = bpf_program__name(prog);
		snprintf(path, sizeof(path), "%s/link_%d", ISC_PIN_DIR, n++);
		if (link && !bpf_link__pin(link, path))
			continue;
		if (prog == e->skel->progs.enforce_file_ioctl_compat)
			goto fail;
		/* tracepoint links are perf events before 5.15: not pinnable */
		isc_warn("the race detector (%s) cannot be pinned here: it stops with this process",
			 what);
	}
	/* file_ioctl last: its pin is what marks enforcement as pinned */
	what = "file_ioctl";
	pin_path(path, sizeof(path), "file_ioctl");
	if (bpf_link__pin(e->skel->links.enforce_file_ioctl, path))
		goto fail;
	e->pinned = true;
	return 0;
fail:
	isc_err("failed to pin enforcement (%s) in %s: %s", what, ISC_PIN_DIR, strerror(errno));
	enforcer__unpin();
	return -1;
}

/* The value size of the policy hash in force, 0 if there is none. */
static __u32 inner_value_size(int outer_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = inner_fd(outer_fd);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.value_size = 0;
	close(fd);
	return info.value_size;
}

/* Pins left by another build can hold other layouts (a record, a policy
 * entry grew): every pinned map must match this build's definition.
 * 0, or -1 with the map named. */
static int pins_match(int *const *fds)
{
	struct enforce_bpf *skel = enforce_bpf__open();
	struct bpf_map_info info;
	const struct bpf_map *m;
	__u32 len;
	size_t i;
	int ret = 0;

	if (!skel)
		return 0;	/* cannot compare: the load will tell */
	for (i = 0; i < ARRAY_SIZE(map_pins) && !ret; i++) {
		m = bpf_object__find_map_by_name(skel->obj, map_pins[i]);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!m || bpf_obj_get_info_by_fd(*fds[i], &info, &len))
			continue;
		if (info.type != (__u32)bpf_map__type(m) ||
		    info.key_size != bpf_map__key_size(m) ||
		    (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF &&
		     (info.value_size != bpf_map__value_size(m) ||
		      info.max_entries != bpf_map__max_entries(m)))) {
			isc_err("cannot adopt pinned enforcement: its map %s has another layout (pinned by another iommuscope version: 'iommuscope enforce --stop', then start again)",
				map_pins[i]);
			ret = -1;
		}
	}
	enforce_bpf__destroy(skel);
	if (!ret && inner_value_size(*fds[0]) > 0 &&
	    inner_value_size(*fds[0]) != sizeof(struct isc_policy_entry)) {
		isc_err("cannot adopt pinned enforcement: its policy entries have another layout (pinned by another iommuscope version: 'iommuscope enforce --stop', then start again)");
		ret = -1;
	}
	return ret;
}

int enforcer__adopt(struct isc_enforcer *e)
{
	char path[160];
	int *fds[] = ENFORCER_FDS(e);
	size_t i;

	enforcer_reset(e);
	for (i = 0; i < ARRAY_SIZE(map_pins); i++) {
		pin_path(path, sizeof(path), map_pins[i]);
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0) {
			isc_err(errno == ENOENT ?
				"cannot adopt pinned enforcement: %s: %s (pinned by another iommuscope version: 'iommuscope enforce --stop', then start again)" :
				"cannot adopt pinned enforcement: %s: %s", path, strerror(errno));
			enforcer__stop(e, false);
			return -1;
		}
	}
	if (pins_match(fds)) {
		enforcer__stop(e, false);
		return -1;
	}
	e->adopted = true;
	e->pinned = true;
	e->race = "as pinned";
	e->generation = current_generation(e->policy_fd);
	return 0;
}

int enforcer__publish(struct isc_enforcer *e)
{
	static const char *const pub[] = { "enforce_stats", "deny_counts" };
	struct bpf_map *map;
	char path[160];
	size_t i;

	if (enforcer__pin_dir(true))
		return -EPERM;
	for (i = 0; i < ARRAY_SIZE(pub); i++) {
		map = bpf_object__find_map_by_name(e->skel->obj, pub[i]);
		pin_path(path, sizeof(path), pub[i]);
		unlink(path);
		if (!map || bpf_map__pin(map, path))
			return -errno;
	}
	e->published = true;
	return 0;
}

int enforcer__deny_counts(void (*fn)(const struct isc_deny_key *k,
				     const struct isc_deny_count *c, void *ctx),
			  void *ctx)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, err = 0;
	struct isc_deny_key key, next, *prev = NULL;
	struct isc_deny_count *v, sum;
	char path[160];

	pin_path(path, sizeof(path), "deny_counts");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -ENOENT;	/* nothing enforces here */
	v = ncpu > 0 ? calloc(ncpu, sizeof(*v)) : NULL;
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v))
			continue;	/* deleted meanwhile (LRU) */
		memset(&sum, 0, sizeof(sum));
		for (i = 0; i < ncpu; i++) {
			sum.n += v[i].n;
			if (!sum.comm[0] && v[i].comm[0])
				memcpy(sum.comm, v[i].comm, sizeof(sum.comm));
		}
		fn(&key, &sum, ctx);
	}
	free(v);
	close(fd);
	return err;
}

uint64_t enforcer__stat(const struct isc_enforcer *e, int idx)
{
	int n = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;
	uint32_t key = idx;
	int i;

	if (n <= 0 || e->stats_fd < 0)
		return 0;
	v = calloc(n, sizeof(*v));
	if (v && !bpf_map_lookup_elem(e->stats_fd, &key, v))
		for (i = 0; i < n; i++)
			sum += v[i];
	free(v);
	return sum;
}

void enforcer__stop(struct isc_enforcer *e, bool unpin)
{
	int *fds[] = ENFORCER_FDS(e);
	size_t i;

	if (unpin && e->pinned)
		enforcer__unpin();
	if (e->skel) {
		enforce_bpf__destroy(e->skel);	/* its maps: the fds are the skeleton's */
		e->skel = NULL;
	} else {
		for (i = 0; i < ARRAY_SIZE(fds); i++)
			if (*fds[i] >= 0)
				close(*fds[i]);
	}
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		*fds[i] = -1;
}

int enforcer__unpin(void)
{
	char path[512];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	if (enforcer__pin_dir(false))
		return -EPERM;
	dir = opendir(ISC_PIN_DIR);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	/* the marker first, so a half-removed directory is not "pinned" */
	snprintf(path, sizeof(path), "%s/file_ioctl", ISC_PIN_DIR);
	if (!unlink(path))
		n++;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", ISC_PIN_DIR, d->d_name);
		if (!unlink(path))
			n++;
	}
	closedir(dir);
	rmdir(ISC_PIN_DIR);
	return n > 0;
}

int enforcer__state_write(const struct isc_enforce_state *s)
{
	char tmp[] = ISC_STATE_FILE ".XXXXXX";
	FILE *f;
	int fd;

	if (mkdir(ISC_STATE_DIR, 0700) && errno != EEXIST)
		return -errno;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	fprintf(f, "pid=%d\npolicy=%s\ngeneration=%u\npinned=%d\naudit_only=%d\nerror=%s\n",
		(int)s->pid, s->policy, s->generation, s->pinned, s->audit_only, s->error);
	if (fclose(f) || rename(tmp, ISC_STATE_FILE)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

int enforcer__state_read(struct isc_enforce_state *s)
{
	char buf[PATH_MAX + ISC_POLICY_ERR_LEN + 128], *line, *save = NULL;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	if (read_text_file(ISC_STATE_FILE, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "pid=", 4) && !parse_u64(line + 4, 0, INT_MAX, &v))
			s->pid = (pid_t)v;
		else if (!strncmp(line, "policy=", 7))
			snprintf(s->policy, sizeof(s->policy), "%s", line + 7);
		else if (!strncmp(line, "generation=", 11) && !parse_u64(line + 11, 0, UINT32_MAX, &v))
			s->generation = (uint32_t)v;
		else if (!strncmp(line, "pinned=", 7))
			s->pinned = line[7] == '1';
		else if (!strncmp(line, "audit_only=", 11))
			s->audit_only = line[11] == '1';
		else if (!strncmp(line, "error=", 6))
			snprintf(s->error, sizeof(s->error), "%s", line + 6);
	}
	/* a loader that died without cleaning up is not running */
	if (s->pid && kill(s->pid, 0) && errno == ESRCH)
		s->pid = 0;
	return 0;
}

const char *enforcer__describe(char *buf, size_t len)
{
	struct isc_enforce_state st;
	bool pinned = enforcer__pins_exist();

	if (enforcer__state_read(&st) || (!st.pid && !pinned)) {
		snprintf(buf, len, pinned ? "pinned" : "off");
		return buf;
	}
	snprintf(buf, len, "%s%s gen %u%s", pinned ? "pinned" : "on",
		 st.audit_only ? " audit-only" : "", st.generation,
		 st.policy[0] ? "" : " built-in");
	return buf;
}

int enforcer__prog_names(struct isc_prog_names *l)
{
	struct enforce_bpf *skel = enforce_bpf__open();
	int err;

	if (!skel)
		return -errno;
	err = progstats__names_add(l, skel->obj);
	enforce_bpf__destroy(skel);
	return err;
}

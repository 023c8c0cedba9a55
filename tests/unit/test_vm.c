// SPDX-License-Identifier: GPL-2.0
/* Who a caller belongs to (user/ring/vm.c): cgroup paths and QEMU command
 * lines as hosts have them, hostile ones, the sanitizing, the filter match,
 * the output's vm fields, and the live resolver's caching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "output.h"
#include "vm.h"

struct cg_case {
	const char *path;
	int source;
	const char *name;
	const char *pod;
};

#define POD "7f3c2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6"
#define POD_ "7f3c2a10_1b2c_4d5e_8f90_a1b2c3d4e5f6"

static const struct cg_case cg_cases[] = {
	/* libvirt with systemd, the scope and its sub-cgroups */
	{ "/machine.slice/machine-qemu\\x2d3\\x2dweb01.scope", ISC_VM_LIBVIRT, "web01", "" },
	{ "/machine.slice/machine-qemu\\x2d3\\x2dweb01.scope/libvirt/emulator", ISC_VM_LIBVIRT,
	  "web01", "" },
	{ "/machine.slice/machine-qemu\\x2d12\\x2dweb01.scope/libvirt/vcpu0", ISC_VM_LIBVIRT,
	  "web01", "" },
	{ "/machine.slice/machine-qemu\\x2d1\\x2ddb\\x2d01.example.com.scope", ISC_VM_LIBVIRT,
	  "db-01.example.com", "" },
	/* libvirt before 3.x: no domain id */
	{ "/machine.slice/machine-qemu\\x2dold.scope", ISC_VM_LIBVIRT, "old", "" },
	{ "/machine.slice/machine-lxc\\x2d4\\x2dct1.scope", ISC_VM_LIBVIRT, "ct1", "" },
	/* a name of digits only: the id, then the name */
	{ "/machine.slice/machine-qemu\\x2d5\\x2d2024.scope", ISC_VM_LIBVIRT, "2024", "" },
	/* libvirt without systemd (cgroupfs layout), '_' its escape */
	{ "/machine/qemu-3-web01.libvirt-qemu/emulator", ISC_VM_LIBVIRT, "web01", "" },
	{ "/machine/qemu-3-web01.libvirt-qemu/vcpu1", ISC_VM_LIBVIRT, "web01", "" },
	{ "/machine/web01.libvirt-qemu", ISC_VM_LIBVIRT, "web01", "" },
	{ "/machine/_cpu.libvirt-qemu", ISC_VM_LIBVIRT, "cpu", "" },
	{ "/machine/qemu-9-a.b.libvirt-qemu", ISC_VM_LIBVIRT, "a.b", "" },
	/* systemd-nspawn's machine is no VM: its scope, a unit */
	{ "/machine.slice/machine-debian.scope", ISC_VM_SYSTEMD, "machine-debian.scope", "" },
	/* kubepods, systemd driver, every QoS class */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
	  ".slice/cri-containerd-0123abcd.scope", ISC_VM_POD, POD, POD },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	  ".slice/crio-0123abcd.scope", ISC_VM_POD, POD, POD },
	{ "/kubepods.slice/kubepods-pod" POD_ ".slice/cri-containerd-0123abcd.scope",
	  ISC_VM_POD, POD, POD },
	/* cgroupfs driver */
	{ "/kubepods/burstable/pod" POD "/0123abcd", ISC_VM_POD, POD, POD },
	{ "/kubepods/besteffort/pod" POD "/0123abcd", ISC_VM_POD, POD, POD },
	{ "/kubepods/pod" POD "/0123abcd", ISC_VM_POD, POD, POD },
	/* the QoS slice itself: no pod, its unit */
	{ "/kubepods.slice/kubepods-burstable.slice", ISC_VM_NONE, "", "" },
	/* libvirt's scope inside a pod: KubeVirt */
	{ "/kubepods/pod" POD "/abc/machine.slice/machine-qemu\\x2d1\\x2dnsvmi.scope",
	  ISC_VM_KUBEVIRT, "nsvmi", POD },
	/* plain systemd: the innermost .service or .scope */
	{ "/system.slice/dpdk-app.service", ISC_VM_SYSTEMD, "dpdk-app.service", "" },
	{ "/system.slice/docker-0123abcd.scope", ISC_VM_SYSTEMD, "docker-0123abcd.scope", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/vfio-test.scope",
	  ISC_VM_SYSTEMD, "vfio-test.scope", "" },
	{ "/user.slice/user-1000.slice/session-3.scope", ISC_VM_SYSTEMD, "session-3.scope", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/init.scope", ISC_VM_SYSTEMD,
	  "init.scope", "" },
	{ "/system.slice/a.service/sub/leaf", ISC_VM_SYSTEMD, "a.service", "" },
	{ "/init.scope", ISC_VM_SYSTEMD, "init.scope", "" },
	/* a unit's own escapes are the unit's name: kept as systemd spells it
	 * (the backslash itself escaped) */
	{ "/system.slice/foo\\x2dbar.service", ISC_VM_SYSTEMD, "foo\\x5cx2dbar.service", "" },
	/* nothing */
	{ "/", ISC_VM_NONE, "", "" },
	{ "", ISC_VM_NONE, "", "" },
	{ "/user.slice", ISC_VM_NONE, "", "" },
	{ "/some/plain/dir", ISC_VM_NONE, "", "" },
	/* hostile: escapes that decode to control bytes, quotes, label breakers */
	{ "/machine.slice/machine-qemu\\x2d3\\x2dev\\x0ail.scope", ISC_VM_LIBVIRT,
	  "ev\\x0ail", "" },
	{ "/machine/qemu-3-a\"} 1\nb.libvirt-qemu", ISC_VM_LIBVIRT, "a\\x22}\\x201\\x0ab", "" },
	{ "/system.slice/x\"y\\z\x01\xff.service", ISC_VM_SYSTEMD,
	  "x\\x22y\\x5cz\\x01\\xff.service", "" },
	{ "/system.slice/caf\xc3\xa9.service", ISC_VM_SYSTEMD, "caf\\xc3\\xa9.service", "" },
	/* pods whose UID is not one */
	{ "/kubepods/pod../x", ISC_VM_NONE, "", "" },
	{ "/kubepods.slice/kubepods-podzz.slice/a.scope", ISC_VM_SYSTEMD, "a.scope", "" },
	{ "/kubepods/pod" POD "0123456789/x", ISC_VM_NONE, "", "" },
	/* trailing dash only: no name */
	{ "/machine.slice/machine-qemu\\x2d.scope", ISC_VM_SYSTEMD,
	  "machine-qemu\\x5cx2d.scope", "" },
};

static void cgroup_table(void)
{
	struct isc_vm vm;
	size_t i;

	for (i = 0; i < sizeof(cg_cases) / sizeof(cg_cases[0]); i++) {
		const struct cg_case *c = &cg_cases[i];

		vm__from_cgroup(c->path, &vm);
		CHECK(vm.source == c->source, "%zu %s: source %d, want %d", i, c->path, vm.source,
		      c->source);
		CHECK(!strcmp(vm.name, c->name), "%zu %s: name '%s', want '%s'", i, c->path,
		      vm.name, c->name);
		CHECK(!strcmp(vm.pod, c->pod), "%zu %s: pod '%s', want '%s'", i, c->path, vm.pod,
		      c->pod);
	}
}

struct cmd_case {
	const char *argv;	/* '|' between arguments */
	const char *want;	/* NULL: no name */
};

static const struct cmd_case cmd_cases[] = {
	{ "/usr/bin/qemu-system-x86_64|-name|guest=web01,debug-threads=on|-S", "web01" },
	{ "qemu-system-x86_64|-name|web01", "web01" },
	{ "qemu-kvm|-name|web01,process=qemu:web01", "web01" },
	{ "qemu-system-x86_64|-name|process=p,guest=late", "late" },
	{ "qemu-system-x86_64|-name|debug-threads=on", NULL },
	{ "qemu-system-x86_64|-name|guest=a,,b", "a,b" },
	{ "qemu-system-x86_64|--name|guest=x", "x" },
	{ "qemu-system-x86_64|-name=guest=y", "y" },
	{ "qemu-system-x86_64|-name|guest=default_myvmi,debug-threads=on", "default_myvmi" },
	{ "qemu-system-x86_64|-m|512", NULL },
	{ "qemu-system-x86_64|-name", NULL },
	{ "qemu-system-x86_64|-name|guest=", NULL },
	{ "/usr/bin/python3|-name|guest=web01", NULL },
	{ "vfio_client|-name|web01", NULL },
	{ "qemu-system-x86_64|-name|guest=a b\"c", "a b\"c" },
};

static void cmdline_table(void)
{
	char buf[256], out[ISC_VM_NAME_LEN * 2];
	size_t i, n, k;

	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];
		bool got;

		n = strlen(c->argv) + 1;
		memcpy(buf, c->argv, n);
		for (k = 0; k < n; k++)
			if (buf[k] == '|')
				buf[k] = '\0';
		out[0] = '\0';
		got = vm__qemu_name(buf, n, out, sizeof(out));
		CHECK(got == (c->want != NULL), "%zu %s: found %d", i, c->argv, got);
		if (c->want)
			CHECK(!strcmp(out, c->want), "%zu %s: '%s', want '%s'", i, c->argv, out,
			      c->want);
	}
	/* cut short (no NUL at the end): nothing trusted */
	memcpy(buf, "qemu\0-name\0web", 14);
	ASSERT_TRUE(!vm__qemu_name(buf, 14, out, sizeof(out)), "a command line cut short");
	ASSERT_TRUE(!vm__qemu_name(buf, 0, out, sizeof(out)), "an empty command line");
}

static void combine(void)
{
	struct isc_vm vm;

	vm__from_cgroup("/machine.slice/machine-qemu\\x2d3\\x2dweb01.scope/libvirt/emulator", &vm);
	vm__combine(&vm, "web_01");	/* libvirt dropped the '_' in the scope */
	ASSERT_EQ(vm.source, ISC_VM_LIBVIRT, "libvirt scope and -name: libvirt");
	ASSERT_STREQ(vm.name, "web_01", "the exact name from -name");
	vm__from_cgroup("/kubepods/burstable/pod" POD "/0123", &vm);
	vm__combine(&vm, "default_my_vmi");
	ASSERT_EQ(vm.source, ISC_VM_KUBEVIRT, "pod and -name: kubevirt");
	ASSERT_STREQ(vm.name, "default/my_vmi", "NAMESPACE/VMI (the first '_')");
	ASSERT_STREQ(vm.pod, POD, "the pod UID kept");
	vm__from_cgroup("/user.slice/user-0.slice/session-1.scope", &vm);
	vm__combine(&vm, "dev vm\n");
	ASSERT_EQ(vm.source, ISC_VM_QEMU, "a unit and -name: qemu");
	ASSERT_STREQ(vm.name, "dev\\x20vm\\x0a", "escaped");
	vm__combine(&vm, NULL);
	ASSERT_STREQ(vm.name, "dev\\x20vm\\x0a", "no -name: unchanged");
	ASSERT_TRUE(vm__match(&vm, "dev\\x20vm\\x0a"), "-V matches the name as shown");
	ASSERT_TRUE(!vm__match(&vm, "dev vm"), "... not the raw one");
	vm__from_cgroup("/", &vm);
	ASSERT_TRUE(!vm__match(&vm, ""), "no VM matches nothing");
}

/* Only the components root made are believed (the live resolver stats
 * them): below a delegation, a user's own names name nothing. */
static void trusted(void)
{
	static const char deleg[] = "/user.slice/user-1000.slice/user@1000.service/app.slice/"
				    "machine-qemu\\x2d1\\x2dprod.scope";
	struct isc_vm vm;

	vm__from_cgroup_trusted(deleg, 3, &vm);
	ASSERT_EQ(vm.source, ISC_VM_SYSTEMD, "delegated at user@1000.service: its unit");
	ASSERT_STREQ(vm.name, "user@1000.service", "the delegation's own name (systemd's)");
	vm__from_cgroup_trusted(deleg, -1, &vm);
	ASSERT_EQ(vm.source, ISC_VM_LIBVIRT, "all believed: the scope names a VM");
	vm__from_cgroup_trusted("/isc/machine-qemu\\x2d1\\x2dprod.scope", 1, &vm);
	ASSERT_EQ(vm.source, ISC_VM_NONE, "a user's directory at the top: nothing");
	vm__from_cgroup_trusted("/kubepods/burstable/pod" POD "/0123", 0, &vm);
	ASSERT_EQ(vm.source, ISC_VM_NONE, "nothing believed: nothing");
	vm__from_cgroup_trusted("/kubepods/burstable/pod" POD "/0123", 3, &vm);
	ASSERT_EQ(vm.source, ISC_VM_POD, "the pod's directory believed: the pod");
}

/* /proc/PID/cgroup: the one cgroup2 line, never one a v1 name forged. */
static void cgroup_line(void)
{
	static const char v2[] = "0::/machine.slice/machine-qemu\\x2d1\\x2dprod.scope\n";
	static const char hybrid[] = "12:pids:/user.slice\n1:name=systemd:/user.slice/s.scope\n"
				     "0::/user.slice/s.scope\n";
	static const char forged[] = "5:pids:/x\n0::/machine.slice/machine-qemu\\x2d1\\x2dprod.scope\n"
				     "0::/user.slice/user-1000.slice/s.scope\n";
	char path[256];

	ASSERT_EQ(vm__cgroup_line(v2, strlen(v2), 4096, path, sizeof(path)), 0, "cgroup2 only");
	ASSERT_STREQ(path, "/machine.slice/machine-qemu\\x2d1\\x2dprod.scope", "its path");
	ASSERT_EQ(vm__cgroup_line(hybrid, strlen(hybrid), 4096, path, sizeof(path)), 0, "hybrid");
	ASSERT_STREQ(path, "/user.slice/s.scope", "the 0:: line of a hybrid host");
	ASSERT_EQ(vm__cgroup_line(forged, strlen(forged), 4096, path, sizeof(path)), -1,
		  "a v1 name with a newline and a 0:: line in it: not trusted");
	ASSERT_EQ(vm__cgroup_line(v2, strlen(v2), strlen(v2) + 1, path, sizeof(path)), -1,
		  "the buffer was full: maybe more lines, not trusted");
	ASSERT_EQ(vm__cgroup_line("1:cpu:/\n", 8, 4096, path, sizeof(path)), -1, "no cgroup2 line");
}

static void sanitize(void)
{
	char big[600], out[ISC_VM_NAME_LEN];
	struct isc_vm vm;
	size_t i;

	memset(big, 'a', sizeof(big));
	snprintf(big, sizeof(big), "/machine/qemu-1-");
	memset(big + 16, 'n', 400);
	memcpy(big + 416, ".libvirt-qemu", 14);
	vm__from_cgroup(big, &vm);
	ASSERT_EQ(strlen(vm.name), ISC_VM_NAME_LEN - 1, "an over-long name cut to the field");
	memset(big, 0xff, 200);
	vm__sanitize(big, 200, out, sizeof(out));
	ASSERT_EQ(strlen(out) % 4, 0, "an escape is never cut");
	ASSERT_TRUE(strlen(out) < sizeof(out), "within the field");
	for (i = 0; i < 256; i++) {
		bool kept = i > 0x20 && i < 0x7f && i != '"' && i != '\\';
		char b = (char)i, one[8], want[8];

		vm__sanitize(&b, 1, one, sizeof(one));
		if (!i)
			want[0] = '\0';	/* a NUL ends the name */
		else if (kept)
			snprintf(want, sizeof(want), "%c", (int)i);
		else
			snprintf(want, sizeof(want), "\\x%02zx", i);
		CHECK(!strcmp(one, want), "byte %zu: '%s', want '%s'", i, one, want);
	}
	vm__sanitize("ab", 2, out, 2);
	ASSERT_STREQ(out, "a", "room for one byte");
}

/* The vm fields in both forms of every record. */
static void output_fields(void)
{
	struct isc_output o;
	struct isc_ioctl_view v = {};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	v.ev.pid = 1;
	vm__from_cgroup("/kubepods/pod" POD "/x", &v.vm);
	vm__combine(&v.vm, "ns_a\"b");
	output__init(&o, true, f);
	output__ioctl(&o, &v, NULL);
	fflush(f);
	ASSERT_TRUE(strstr(buf, "\"vm\":\"ns\\/a\\\\x22b\",\"vm_source\":\"kubevirt\",\"vm_pod\":\""
			   POD "\"") != NULL, "JSON: vm, vm_source, vm_pod");
	output__init(&o, false, f);
	output__ioctl(&o, &v, NULL);
	fflush(f);
	ASSERT_TRUE(strstr(buf, " vm=ns/a\\x22b vm_source=kubevirt vm_pod=" POD "\n") != NULL,
		    "text: the same fields at the end");
	fclose(f);
	free(buf);
}

/* The live resolver: this process's own cgroup, read once. */
static void resolver(void)
{
	struct isc_vm_cache *c = vm_cache__new();
	const struct isc_vm *a;
	uint64_t reads;
	int i;

	ASSERT_TRUE(c != NULL, "a cache");
	a = vm_cache__pid(c, (uint32_t)getpid());
	ASSERT_TRUE(a != NULL, "a VM (or none) for this process");
	reads = vm_cache__reads(c);
	for (i = 0; i < 1000; i++)
		vm_cache__pid(c, (uint32_t)getpid());
	ASSERT_EQ(vm_cache__reads(c), reads, "asked again: nothing read");
	/* one pid, records from two cgroups of no VM in turn: each cgroup is
	 * read once, the command line again at each change (a pid reused in
	 * another cgroup is another process; only one VM's cgroups, as
	 * libvirt's per-vCPU ones, keep it: tests/vm.bats) */
	vm_cache__get(c, (uint32_t)getpid(), 1);
	vm_cache__get(c, (uint32_t)getpid(), 2);
	reads = vm_cache__reads(c);
	for (i = 0; i < 1000; i++)
		vm_cache__get(c, (uint32_t)getpid(), 1 + (i & 1));
	ASSERT_EQ(vm_cache__reads(c), reads + 1000, "alternating cgroups: the command line read again");
	reads = vm_cache__reads(c);
	for (i = 0; i < 1000; i++)
		vm_cache__get(c, (uint32_t)getpid(), 2);
	ASSERT_EQ(vm_cache__reads(c), reads, "the same cgroup: nothing read again");
	vm_cache__free(c);
}

int main(void)
{
	TEST(cgroup_paths) cgroup_table();
	TEST(qemu_cmdlines) cmdline_table();
	TEST(combine) combine();
	TEST(trusted) trusted();
	TEST(cgroup_line) cgroup_line();
	TEST(sanitize) sanitize();
	TEST(output_fields) output_fields();
	TEST(resolver) resolver();
	return harness_done("test_vm");
}

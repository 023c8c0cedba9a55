// SPDX-License-Identifier: GPL-2.0
/* The exporter's label escaper (valid UTF-8 out, whatever comes in), the
 * host's ABI facts, and the web config's bcrypt checks. */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "export.h"
#include "kernel.h"
#include <time.h>
#include <unistd.h>
#include "harness.h"

/* export__label_value(in) as a string (freed by the caller). */
static char *esc(const char *in)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	export__label_value(f, in);
	fclose(f);
	return out;
}

/* export__render of sn as a string (freed by the caller). */
static char *render(const struct isc_top_snap *sn)
{
	struct isc_top_info info = { .kernel = "6.18", .mode = "tracepoint" };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	export__render(f, &info, sn);
	fclose(f);
	return out;
}

/* Does page hold line (a whole line)? */
static bool has_line(const char *page, const char *line)
{
	size_t n = strlen(line);
	const char *p = page;

	while (p && (p = strstr(p, line))) {
		if ((p == page || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

/* A sample with two programs, statistics on, 2 s after the previous. */
static void cost_snap(struct isc_top_snap *sn)
{
	struct isc_top_cost *c = &sn->cost;

	memset(sn, 0, sizeof(*sn));
	sn->interval_ns = 2000000000ull;
	c->bpf_stats = true;
	c->nr_progs = 2;
	c->progs[0] = (struct isc_prog_stat){ .name = "tp_enter_ioctl_btf",
					      .attach = "tp/syscalls/sys_enter_ioctl",
					      .run_cnt = 2400000, .run_time_ns = 1500000000,
					      .recursion_misses = 3 };
	c->progs[1] = (struct isc_prog_stat){ .name = "iommu_map_tp", .attach = "tp_btf/map" };
	c->runs = 2400000;
	c->run_ns = 1500000000;
	c->d_runs = 2400000;		/* 1.2M/s */
	c->d_run_ns = 744000000;	/* 310 ns each, 37.2 % of a CPU */
	c->agent_ok = true;
	c->agent.cpu_ns = 1250000000;
	c->agent.rss_bytes = 12897485;	/* 12.3 MiB */
	c->d_agent_cpu_ns = 8000000;	/* 0.4 % */
}

#define ESC_EQ(in, want, what)                                                 \
	do {                                                                   \
		char *got = esc(in);                                           \
		ASSERT_STREQ(got, want, what);                                 \
		free(got);                                                     \
	} while (0)

#define FFFD "\xef\xbf\xbd"
/* htpasswd -nbBC 4 prom s3cret */
#define HASH "$2y$04$GCrecJmCoirbKLMwrq0D5OCjInnJ48YixNYRRLQJCDj2LLkgGKMFm"
/* the same salt and digest, the $2b$ prefix; and variants of it */
#define H2B "$2b$10$FlRYB.YVFcwrr2puWtaOC.vtTsBFKslmrN3Jo2k7iguDMi2Pj7Qrm"

/* export__render_abi() of a host described as in a probe file. */
static char *abi_page(const char *probe, const struct isc_kernel *k)
{
	struct isc_abi a;
	struct isc_probe_host ph;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (abi__from_probe_buf(&a, probe, "unit", &ph))
		return NULL;
	f = open_memstream(&out, &len);
	if (f) {
		export__render_abi(f, &a, k);
		fclose(f);
	}
	abi__free(&a);
	return out;
}

#define PROBE_510 "{\"kernel\": \"5.10.0-32-amd64\", \"container_backend\": \"vfio\", " \
	"\"struct_sizes\": {\"VFIO_DEVICE_GET_INFO\": {\"struct\": \"vfio_device_info\", " \
	"\"size\": 20, \"source\": \"btf\"}}, \"extensions\": {\"TYPE1v2\": 1, \"UNMAP_ALL\": 0}}"

int main(void)
{
	struct isc_web_user user = { .name = "prom", .hash = HASH };
	struct isc_web_config wc = { .users = &user, .nr_users = 1 };

	TEST(label_escape_text_format) {
		ESC_EQ("vfio_client", "vfio_client", "plain ASCII unchanged");
		ESC_EQ("", "", "empty");
		ESC_EQ("a\\b", "a\\\\b", "backslash doubled");
		ESC_EQ("a\"b", "a\\\"b", "double quote escaped");
		ESC_EQ("a\nb", "a\\nb", "newline as \\n");
		ESC_EQ("tab\there", "tab\there", "tab kept (allowed in label values)");
	}
	TEST(label_escape_valid_utf8) {
		ESC_EQ("caf\xc3\xa9", "caf\xc3\xa9", "2-byte");
		ESC_EQ("\xe2\x82\xac", "\xe2\x82\xac", "3-byte (euro)");
		ESC_EQ("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "4-byte (emoji)");
		ESC_EQ("\xef\xbf\xbd", FFFD, "U+FFFD itself");
		ESC_EQ("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "U+10FFFF, the last code point");
		ESC_EQ("\xed\x9f\xbf", "\xed\x9f\xbf", "U+D7FF, just below the surrogates");
	}
	TEST(label_escape_invalid_utf8) {
		ESC_EQ("\xff\xfe", FFFD FFFD, "bytes never in UTF-8");
		ESC_EQ("a\x80z", "a" FFFD "z", "stray continuation byte");
		ESC_EQ("\xc0\xaf", FFFD FFFD, "overlong '/' (2 bytes)");
		ESC_EQ("\xc1\xbf", FFFD FFFD, "overlong 2-byte, C1 lead");
		ESC_EQ("\xe0\x80\xaf", FFFD FFFD FFFD, "overlong '/' (3 bytes)");
		ESC_EQ("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD, "overlong '/' (4 bytes)");
		ESC_EQ("\xed\xa0\x80", FFFD FFFD FFFD, "surrogate U+D800");
		ESC_EQ("\xed\xbf\xbf", FFFD FFFD FFFD, "surrogate U+DFFF");
		ESC_EQ("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, "above U+10FFFF");
		ESC_EQ("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD, "F5 lead byte");
		ESC_EQ("ab\xe2\x82", "ab" FFFD FFFD, "3-byte sequence cut by the end");
		ESC_EQ("\xf0\x9f\x98", FFFD FFFD FFFD, "4-byte sequence cut by the end");
		ESC_EQ("\xe2\x82z", FFFD FFFD "z", "3-byte sequence cut by ASCII");
		ESC_EQ("\xc3\"", FFFD "\\\"", "cut sequence, then a quote still escaped");
		ESC_EQ("\xff\\\n", FFFD "\\\\\\n", "invalid byte, backslash, newline");
	}
	TEST(render_cost_metrics) {
		struct isc_top_snap sn;
		char *page;

		cost_snap(&sn);
		page = render(&sn);
		ASSERT_TRUE(page && has_line(page, "# TYPE iommuscope_bpf_stats_enabled gauge"),
			    "stats gauge");
		ASSERT_TRUE(page && has_line(page, "iommuscope_bpf_stats_enabled 1"), "on");
		ASSERT_TRUE(page && has_line(page, "# TYPE iommuscope_bpf_program_runs_total counter"),
			    "runs counter");
		ASSERT_TRUE(page && has_line(page, "iommuscope_bpf_program_runs_total{program="
					     "\"tp_enter_ioctl_btf\",attach=\"tp/syscalls/"
					     "sys_enter_ioctl\"} 2400000"), "runs, full name");
		ASSERT_TRUE(page && has_line(page, "iommuscope_bpf_program_run_seconds_total{program="
					     "\"tp_enter_ioctl_btf\",attach=\"tp/syscalls/"
					     "sys_enter_ioctl\"} 1.500000000"), "run time in seconds");
		ASSERT_TRUE(page && has_line(page, "iommuscope_bpf_program_recursion_misses_total{"
					     "program=\"tp_enter_ioctl_btf\",attach=\"tp/syscalls/"
					     "sys_enter_ioctl\"} 3"), "recursion misses");
		ASSERT_TRUE(page && has_line(page, "iommuscope_bpf_program_runs_total{program="
					     "\"iommu_map_tp\",attach=\"tp_btf/map\"} 0"),
			    "a program that never ran");
		ASSERT_TRUE(page && has_line(page, "# TYPE iommuscope_bpf_program_run_seconds_total "
					     "counter"), "seconds counter");
		ASSERT_TRUE(page && has_line(page, "# TYPE iommuscope_bpf_program_recursion_misses_"
					     "total counter"), "misses counter");
		ASSERT_TRUE(page && has_line(page, "# TYPE process_cpu_seconds_total counter"),
			    "process collector CPU");
		ASSERT_TRUE(page && has_line(page, "process_cpu_seconds_total 1.25"), "CPU seconds");
		ASSERT_TRUE(page && has_line(page, "# TYPE process_resident_memory_bytes gauge"),
			    "process collector RSS");
		ASSERT_TRUE(page && has_line(page, "process_resident_memory_bytes 12897485"), "RSS");
		free(page);
		sn.cost.bpf_stats = false;
		sn.cost.agent_ok = false;
		page = render(&sn);
		ASSERT_TRUE(page && has_line(page, "iommuscope_bpf_stats_enabled 0"), "off");
		ASSERT_TRUE(page && !strstr(page, "process_cpu_seconds_total"),
			    "no process metrics without /proc/self/stat");
		free(page);
	}
	TEST(vm_label_cap) {
		/* ISC_EXPORT_MAX_VMS + 3 processes of distinct VMs, one of none:
		 * the first names in byte order (a hostile one first) keep
		 * their label, the three last are folded and counted */
		enum { N = ISC_EXPORT_MAX_VMS + 4 };
		static struct isc_top_row procs[N];
		struct isc_top_snap sn = { .nr_procs = N, .procs = procs };
		char line[256], *page;
		int i;

		for (i = 0; i < N; i++) {
			procs[i].key.tgid = 100 + i;
			snprintf(procs[i].comm, sizeof(procs[i].comm), "qemu");
			procs[i].tot.faults = 1;
			procs[i].vm.source = ISC_VM_LIBVIRT;
			snprintf(procs[i].vm.name, sizeof(procs[i].vm.name), "vm%03d", N - i);
		}
		procs[0].vm.source = ISC_VM_NONE;
		procs[0].vm.name[0] = '\0';
		vm__sanitize("a\"} 1\n\\", 7, procs[1].vm.name, sizeof(procs[1].vm.name));
		page = render(&sn);
		ASSERT_TRUE(page && has_line(page, "iommuscope_vm_label_folded_processes 3"),
			    "three processes folded");
		ASSERT_TRUE(page && has_line(page, "iommuscope_iommu_faults_total{pid=\"100\","
					     "comm=\"qemu\",vm=\"\"} 1"), "no VM: empty label");
		ASSERT_TRUE(page && has_line(page, "iommuscope_iommu_faults_total{pid=\"101\","
					     "comm=\"qemu\",vm=\"a\\\\x22}\\\\x201\\\\x0a\\\\x5c\"} 1"),
			    "a hostile name: its escapes, their backslashes escaped");
		snprintf(line, sizeof(line), "iommuscope_iommu_faults_total{pid=\"%d\",comm=\"qemu\","
			 "vm=\"(other)\"} 1", 100 + 2);
		ASSERT_TRUE(page && has_line(page, line), "the last name in byte order folded");
		snprintf(line, sizeof(line), "iommuscope_iommu_faults_total{pid=\"%d\",comm=\"qemu\","
			 "vm=\"vm001\"} 1", 100 + N - 1);
		ASSERT_TRUE(page && has_line(page, line), "the first kept");
		free(page);
		sn.nr_procs = 3;
		page = render(&sn);
		ASSERT_TRUE(page && has_line(page, "iommuscope_vm_label_folded_processes 0"),
			    "few VMs: none folded");
		free(page);
		/* systemd units (a user can make many, "a..." first in byte
		 * order) do not push a VM out: VMs are kept first */
		sn.nr_procs = N;
		for (i = 0; i < N - 1; i++) {
			procs[i].vm.source = ISC_VM_SYSTEMD;
			snprintf(procs[i].vm.name, sizeof(procs[i].vm.name), "a%03d.scope", i);
		}
		procs[N - 1].vm.source = ISC_VM_LIBVIRT;
		snprintf(procs[N - 1].vm.name, sizeof(procs[N - 1].vm.name), "zz-web");
		page = render(&sn);
		snprintf(line, sizeof(line), "iommuscope_iommu_faults_total{pid=\"%d\",comm=\"qemu\","
			 "vm=\"zz-web\"} 1", 100 + N - 1);
		ASSERT_TRUE(page && has_line(page, line), "the VM kept, last in byte order");
		ASSERT_TRUE(page && has_line(page, "iommuscope_vm_label_folded_processes 4"),
			    "units folded instead");
		snprintf(line, sizeof(line), "iommuscope_iommu_faults_total{pid=\"%d\",comm=\"qemu\","
			 "vm=\"a000.scope\"} 1", 100);
		ASSERT_TRUE(page && has_line(page, line), "the first unit kept");
		free(page);
	}
	TEST(top_header_cost_line) {
		struct isc_top_info info = { .kernel = "6.18", .mode = "tracepoint" };
		struct isc_top_snap sn;
		char line[256];

		cost_snap(&sn);
		top__header(&info, &sn, ISC_TOP_HEADER_LINES - 1, line, sizeof(line));
		ASSERT_STREQ(line, "bpf 2 progs  runs/s 1.2M  avg 310 ns  cpu 37.2%  agent cpu 0.4%  "
			     "rss 12.3MiB", "statistics on");
		sn.cost.bpf_stats = false;
		top__header(&info, &sn, ISC_TOP_HEADER_LINES - 1, line, sizeof(line));
		ASSERT_STREQ(line, "bpf stats off (--bpf-stats)  progs 2  agent cpu 0.4%  rss 12.3MiB",
			     "statistics off");
		sn.cost.bpf_stats = true;
		sn.cost.d_runs = sn.cost.d_run_ns = 0;
		top__header(&info, &sn, ISC_TOP_HEADER_LINES - 1, line, sizeof(line));
		ASSERT_STREQ(line, "bpf 2 progs  runs/s 0  avg -  cpu 0.0%  agent cpu 0.4%  "
			     "rss 12.3MiB", "no run in the interval");
	}
	TEST(abi_info_metrics) {
		struct isc_kernel k = { .release = "5.10.0-32-amd64", .backend = ISC_BACKEND_VFIO,
					.dev_container = true, .bpf_lsm = true };
		char *m = abi_page(PROBE_510, &k), want[320], hv[16];

		ASSERT_TRUE(m, "rendered");
		snprintf(want, sizeof(want), "iommuscope_host_info{kernel=\"5.10.0-32-amd64\","
			 "version=\"5.10\",container_backend=\"vfio\",vfio_container=\"true\","
			 "iommufd=\"false\",bpf_lsm=\"true\",module_btf=\"false\",catalog_headers="
			 "\"%s\",kernel_newer_than_catalog=\"false\"} 1",
			 abi__version_str(catalog__headers_checked(), hv, sizeof(hv)));
		ASSERT_TRUE(has_line(m, want), "host_info: one series, value 1");
		ASSERT_TRUE(has_line(m, "iommuscope_abi_struct_size_bytes{ioctl=\"VFIO_DEVICE_GET_INFO\","
				     "struct=\"vfio_device_info\",source=\"btf\"} 20"), "a size from BTF");
		ASSERT_TRUE(has_line(m, "iommuscope_abi_struct_size_bytes{ioctl=\"VFIO_IOMMU_MAP_DMA\","
				     "struct=\"vfio_iommu_type1_dma_map\",source=\"catalog\"} 32"),
			    "a size from the catalog's history");
		ASSERT_TRUE(has_line(m, "iommuscope_abi_struct_size_bytes{ioctl=\"IOMMU_IOAS_ALLOC\","
				     "struct=\"iommu_ioas_alloc\",source=\"unknown\"} 0"),
			    "an ioctl 5.10 does not have: 0");
		ASSERT_TRUE(has_line(m, "iommuscope_abi_extension_supported{extension=\"TYPE1v2\"} 1") &&
			    has_line(m, "iommuscope_abi_extension_supported{extension=\"UNMAP_ALL\"} 0"),
			    "the extensions' answers");
		ASSERT_TRUE(!strstr(m, "extension=\"VADDR\""), "an extension not asked: no series");
		ASSERT_TRUE(has_line(m, "iommuscope_abi_device_feature_supported{feature=\"PCI_VF_TOKEN\","
				     "index=\"0\"} 1") &&
			    has_line(m, "iommuscope_abi_device_feature_supported{feature=\"MIGRATION\","
				     "index=\"1\"} 0"), "features: 5.7's yes, 5.18's no");
		free(m);
		m = abi_page("{\"kernel\": \"6.12.9-amd64\"}", &k);
		ASSERT_TRUE(m && !strstr(m, "iommuscope_abi_extension_supported{"),
			    "no container asked: no extension series");
		ASSERT_TRUE(m && has_line(m, "iommuscope_abi_device_feature_supported{"
					  "feature=\"MIGRATION\",index=\"1\"} 1"), "6.12 has MIGRATION");
		free(m);
	}
	TEST(bcrypt_hash_check) {
		ASSERT_EQ(webconfig__check_hash(HASH), 0, "htpasswd -B hash");
		ASSERT_EQ(webconfig__check_hash(H2B), 0, "$2b$");
		ASSERT_TRUE(webconfig__check_hash("s3cret") != 0, "plain text");
		ASSERT_TRUE(webconfig__check_hash("$6$salt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ"
						  "RSTU") != 0,
			    "sha512crypt");
		ASSERT_TRUE(webconfig__check_hash("$2y$03$FlRYB.YVFcwrr2puWtaOC.vtTsBFKsl"
						  "mrN3Jo2k7iguDMi2Pj7Qrm") != 0,
			    "cost below 4");
		ASSERT_TRUE(webconfig__check_hash("$2y$10$FlRYB.YVFcwrr2puWtaOC.vtTsBFKsl"
						  "mrN3Jo2k7iguDMi2Pj7Qr") != 0,
			    "one character short");
		ASSERT_TRUE(webconfig__check_hash("$2y$10$FlRYB.YVFcwrr2puWtaOC.vtTsBFKsl"
						  "mrN3Jo2k7iguDMi2Pj7Qr!") != 0,
			    "not bcrypt's base64");
	}
	TEST(bcrypt_verify) {
		ASSERT_TRUE(webconfig__verify(&wc, "prom", "s3cret"), "right password");
		ASSERT_TRUE(!webconfig__verify(&wc, "prom", "s3creT"), "wrong password");
		ASSERT_TRUE(!webconfig__verify(&wc, "prom", ""), "empty password");
		ASSERT_TRUE(!webconfig__verify(&wc, "other", "s3cret"), "unknown user");
		ASSERT_TRUE(!webconfig__verify(&wc, NULL, "s3cret"), "no user");
	}
	TEST(verify_budget_and_cache) {
		static char names[4][2] = { "b", "c", "d", "e" };
		struct isc_web_user u[5] = { user };
		struct isc_web_config wc2 = { .users = u, .nr_users = 5 };
		bool refused = false, in_time = false;
		time_t t0;
		int i, k;

		for (k = 0; k < 4; k++)
			u[k + 1] = (struct isc_web_user){ .name = names[k], .hash = HASH };
		ASSERT_TRUE(webconfig__verify(&wc2, "prom", "s3cret"), "verified: remembered");
		/* 10 wrong passwords spend the second's budget; then a right one
		 * not remembered gets no bcrypt (a new user each try, in case
		 * the second turned while spending) */
		for (k = 0; k < 4 && !in_time; k++) {
			t0 = time(NULL);
			for (i = 0; i < 10; i++)
				webconfig__verify(&wc2, "prom", "wrong");
			refused = !webconfig__verify(&wc2, names[k], "s3cret");
			in_time = time(NULL) == t0;
		}
		ASSERT_TRUE(in_time, "10 bcrypts within one second");
		ASSERT_TRUE(refused, "over the budget: refused");
		ASSERT_TRUE(webconfig__verify(&wc2, "prom", "s3cret"), "remembered: still passes");
		sleep(1);
		ASSERT_TRUE(webconfig__verify(&wc2, names[k - 1], "s3cret"), "next second: verified");
	}
	return harness_done("test_export");
}

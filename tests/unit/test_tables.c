// SPDX-License-Identifier: GPL-2.0
/* The X-macro tables of include/ (handlers.def, hooks.def, classes.def,
 * catalog_const.h): every row named, names unique, and what each table
 * generates in different places agrees. */
#include <stdlib.h>
#include "catalog.h"
#include "catalog_const.h"
#include "classify.h"
#include "decode.h"
#include "harness.h"
#include "loader.h"
#include "top_snap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* No two of n strings equal (n is small). */
static int all_unique(const char *const *s, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!strcmp(s[i], s[j]))
				return 0;
	return 1;
}

static void test_hooks(void)
{
	const char *targets[ISC_HK_MAX];
	int i;

	for (i = 0; i < ISC_HK_MAX; i++) {
		ASSERT_TRUE(loader__hook_name(i) && *loader__hook_name(i), "hook has a role");
		targets[i] = loader__hook_target(i);
		ASSERT_TRUE(targets[i] && *targets[i], "hook has a target");
	}
	ASSERT_TRUE(all_unique(targets, ISC_HK_MAX), "hook targets unique");
	ASSERT_EQ(ISC_HK_IOMMU_FIRST, ISC_HK_FENTRY_IOMMUFD + 1, "IOMMU hooks after the ioctl's");
	ASSERT_EQ(ISC_HK_IOMMU_FIRST, ISC_HK_BIND_GROUP, "first IOMMU hook");
}

/* Each fops handler is a loader hook of its own, on that function. */
static void test_handlers(void)
{
	static const struct {
		const char *func;
		enum isc_hook_id hook;
	} h[] = {
#define ISC_HANDLER(func, kind, id) { #func, ISC_HK_FENTRY_##id },
#include "handlers.def"
	};
	const char *funcs[ARRAY_LEN(h)];
	size_t i;

	ASSERT_EQ(ARRAY_LEN(h), 4, "handlers");
	for (i = 0; i < ARRAY_LEN(h); i++) {
		funcs[i] = h[i].func;
		ASSERT_STREQ(loader__hook_target(h[i].hook), h[i].func, "handler hook target");
		ASSERT_STREQ(loader__hook_name(h[i].hook), "fentry", "handler hook role");
	}
	ASSERT_TRUE(all_unique(funcs, ARRAY_LEN(h)), "handlers unique");
}

/* Every ISC_IH_ id decodes to its function's name; 0 and MAX do not. */
static void test_iommu_funcs(void)
{
	static const char *const want[] = {
#define ISC_FUNC(id, func) #func,
#include "hooks.def"
	};
	struct isc_iommu_event e = {
		.hdr = { ISC_EV_IOMMU, ISC_EVENT_VERSION, sizeof(e), 1 },
		.op = ISC_IOMMU_BIND,
		.group_id = -1,
	};
	struct isc_iommu_view v;
	int i;

	ASSERT_EQ(ARRAY_LEN(want), ISC_IH_MAX - 1, "one name per IOMMU hook");
	ASSERT_TRUE(all_unique(want, ARRAY_LEN(want)), "IOMMU hook names unique");
	for (i = 1; i < ISC_IH_MAX; i++) {
		e.hook = i;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), ISC_DEC_OK, "decodes");
		ASSERT_STREQ(v.hook, want[i - 1], "IOMMU hook name");
	}
	e.hook = 0;
	ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), ISC_DEC_BAD, "hook 0");
	e.hook = ISC_IH_MAX;
	ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), ISC_DEC_BAD, "hook MAX");
	ASSERT_EQ(ISC_IH_ATTACH_GROUP, 1, "first IOMMU hook id");
}

/* The kernel's classes are the user's, in the same order, same names. */
static void test_classes(void)
{
	const char *names[ISC_CLS_MAX];
	int i, last = -1;

	for (i = 0; i < ISC_CLS_MAX; i++) {
		names[i] = classify__name(i);
		ASSERT_TRUE(names[i] && *names[i] && strcmp(names[i], "?"), "class named");
	}
	ASSERT_TRUE(all_unique(names, ISC_CLS_MAX), "class names unique");
	ASSERT_EQ(ISC_CLS_MAX, 8, "classes");
	ASSERT_EQ(ISC_TC_MAX, 6, "classes the kernel judges");
#define ISC_CLASS_BPF(id, name)							\
	ASSERT_STREQ(top_snap__class_name(ISC_TC_##id), classify__name(ISC_CLS_##id), name); \
	ASSERT_TRUE((int)ISC_CLS_##id > last, "same order");			\
	last = ISC_CLS_##id;
#include "classes.def"
	ASSERT_STREQ(top_snap__class_name(ISC_TC_MAX), "?", "out of range");
}

/* The named constants are the catalog's rows. */
static void test_catalog_const(void)
{
	const struct isc_ioctl_desc *ds;
	size_t nr, i;

	ASSERT_EQ(ISC_CMD_VFIO_CHECK_EXTENSION, 0x3b65, "VFIO_CHECK_EXTENSION");
	ASSERT_EQ(ISC_CMD_VFIO_DEVICE_FEATURE, 0x3b75, "VFIO_DEVICE_FEATURE");
	ASSERT_EQ(ISC_IOMMUFD_CMD_BASE, 0x3b80, "IOMMUFD_CMD_BASE");
	ASSERT_EQ(ISC_FV_VFIO_DEVICE_SET_IRQS__VFIO_IRQ_SET_DATA_BOOL, 0x2, "DATA_BOOL");
	ASSERT_EQ(ISC_FV_VFIO_DEVICE_FEATURE__VFIO_DEVICE_FEATURE_SET, 0x20000, "SET");
	ds = catalog__ioctls(&nr);
	for (i = 0; i < nr; i++)
		ASSERT_EQ(ISC_CMD_IS_IOMMUFD(ds[i].cmd), !strncmp(ds[i].name, "IOMMU_", 6),
			  ds[i].name);
}

int main(void)
{
	TEST(hooks) test_hooks();
	TEST(handlers) test_handlers();
	TEST(iommu_funcs) test_iommu_funcs();
	TEST(classes) test_classes();
	TEST(catalog_const) test_catalog_const();
	return harness_done("tables");
}

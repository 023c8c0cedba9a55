// SPDX-License-Identifier: GPL-2.0
/* The catalog: invariants, lookups across colliding numbers, decoding
 * helpers. Its numbers, sizes, minimum sizes and flag values are checked
 * against <linux/vfio.h> at compile time (catalog_check.o, linked in). */
#include <linux/vfio.h>
#include "catalog.h"
#include "harness.h"

extern int catalog_check_rows;

static const char *name_of(uint32_t cmd, enum isc_fd_kind kind)
{
	const struct isc_ioctl_desc *d = catalog__lookup(cmd, kind);

	return d ? d->name : "(none)";
}

int main(void)
{
	const struct isc_ioctl_desc *d;
	char buf[128];
	uint64_t v;
	size_t n;

	TEST(invariants) {
		ASSERT_EQ(catalog__check(), 0, "catalog__check problems");
		catalog__ioctls(&n);
		ASSERT_TRUE(n >= 50, "catalog has every VFIO and iommufd ioctl");
		ASSERT_TRUE(catalog_check_rows > 100, "compile-time header checks were generated");
	}
	TEST(collisions_by_fd_kind) {
		/* 0x3B70 is three ioctls; the fd kind decides. */
		ASSERT_STREQ(name_of(0x3b70, ISC_FD_CONTAINER), "VFIO_IOMMU_GET_INFO", "container");
		ASSERT_STREQ(name_of(0x3b70, ISC_FD_COMPAT), "VFIO_IOMMU_GET_INFO", "compat");
		ASSERT_STREQ(name_of(0x3b70, ISC_FD_IOMMUFD), "VFIO_IOMMU_GET_INFO", "iommufd");
		ASSERT_STREQ(name_of(0x3b70, ISC_FD_DEVICE), "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
			     "device");
		ASSERT_STREQ(name_of(0x3b70, ISC_FD_SPAPR), "VFIO_IOMMU_SPAPR_TCE_GET_INFO", "spapr");
		ASSERT_STREQ(name_of(0x3b70, ISC_FD_GROUP), "(none)", "group");
		ASSERT_STREQ(name_of(0x3b75, ISC_FD_CONTAINER), "VFIO_IOMMU_DIRTY_PAGES", "dirty");
		ASSERT_STREQ(name_of(0x3b75, ISC_FD_COMPAT), "(none)",
			     "DIRTY_PAGES is not served by the iommufd container");
		ASSERT_STREQ(name_of(0x3b75, ISC_FD_DEVICE), "VFIO_DEVICE_FEATURE", "feature");
		ASSERT_STREQ(name_of(0x3b85, ISC_FD_IOMMUFD), "IOMMU_IOAS_MAP", "ioas map");
		ASSERT_STREQ(name_of(0x3b85, ISC_FD_CONTAINER), "(none)", "iommufd cmd on container");
		ASSERT_STREQ(name_of(0x3b85, ISC_FD_COMPAT), "IOMMU_IOAS_MAP",
			      "iommufd_fops serves it on the compat node too");
		ASSERT_STREQ(name_of(0x3bfe, ISC_FD_IOMMUFD), "(none)", "unknown iommufd cmd");
		ASSERT_STREQ(name_of(0x5401, ISC_FD_CONTAINER), "(none)", "TCGETS is not VFIO");
		ASSERT_STREQ(name_of(0x3b71, ISC_FD_KIND_MAX), "(none)", "bad kind");
	}
	TEST(sizes_match_headers) {
		d = catalog__by_name("VFIO_IOMMU_MAP_DMA");
		ASSERT_EQ(d->cmd, VFIO_IOMMU_MAP_DMA, "MAP_DMA number");
		ASSERT_EQ(d->size, sizeof(struct vfio_iommu_type1_dma_map), "MAP_DMA size");
		ASSERT_EQ(d->minsz, 32, "MAP_DMA minsz");
		d = catalog__by_name("VFIO_DEVICE_SET_IRQS");
		ASSERT_EQ(d->minsz, sizeof(struct vfio_irq_set), "SET_IRQS minsz");
		ASSERT_EQ(catalog__flags_mask(d), 0x3f, "SET_IRQS flag bits");
		d = catalog__by_name("IOMMU_HWPT_ALLOC");
		ASSERT_EQ(d->minsz, 24, "HWPT_ALLOC min_size frozen at first version");
		ASSERT_EQ(d->size, 48, "HWPT_ALLOC current size");
		ASSERT_TRUE(d->size_since > d->since, "HWPT_ALLOC grew after it appeared");
	}
	TEST(flag_names) {
		d = catalog__by_name("VFIO_IOMMU_MAP_DMA");
		ASSERT_STREQ(catalog__flags_str(d, 3, buf, sizeof(buf)), "READ|WRITE", "3");
		ASSERT_STREQ(catalog__flags_str(d, 0x43, buf, sizeof(buf)), "READ|WRITE|0x40",
			     "unknown bit shown as hex");
		ASSERT_STREQ(catalog__flags_str(d, 0, buf, sizeof(buf)), "", "no flags");
		ASSERT_STREQ(catalog__flags_str(NULL, 5, buf, sizeof(buf)), "0x5", "no descriptor");
		ASSERT_EQ(catalog__flags_mask(d), 7, "MAP_DMA mask");
	}
	TEST(fields) {
		uint8_t head[ISC_ARG_HEAD] = {};
		uint32_t flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE | 9;

		d = catalog__by_name("VFIO_DEVICE_FEATURE");
		memcpy(head + 4, &flags, 4);
		ASSERT_EQ(d->nr_fields, 2, "feature fields");
		ASSERT_EQ(catalog__field(&d->fields[0], head, 8, &v), 0, "feature readable");
		ASSERT_EQ(v, 9, "feature index");
		ASSERT_EQ(catalog__field(&d->fields[1], head, 8, &v), 0, "op readable");
		ASSERT_EQ(v, 5, "op = GET|PROBE");
		ASSERT_EQ(catalog__field(&d->fields[0], head, 6, &v), -1, "short head refused");
	}
	TEST(rows_of_7_3) {
		d = catalog__by_name("IOMMU_IOAS_NOIOMMU_GET_PA");
		ASSERT_TRUE(d != NULL, "NOIOMMU_GET_PA in the catalog");
		ASSERT_EQ(d->cmd, 0x3b95, "nr 0x95");
		ASSERT_EQ(d->size, 40, "40 bytes");
		ASSERT_EQ(d->minsz, 40, "minsz 40");
		ASSERT_EQ(d->reply, 1, "length and out_phys written back");
		ASSERT_EQ(d->since, ISC_VERSION(7, 3), "since 7.3");
		ASSERT_STREQ(catalog__feature(12)->name, "MIG_PRECOPY_INFOv2", "feature 12");
		ASSERT_EQ(catalog__feature(12)->ops, VFIO_DEVICE_FEATURE_SET, "12: SET only");
		ASSERT_EQ(catalog__feature(13)->ops, VFIO_DEVICE_FEATURE_GET, "13: GET only");
		ASSERT_EQ(catalog__feature(13)->since, ISC_VERSION(7, 3), "ZPCI_ERROR 7.3");
		ASSERT_EQ(catalog__headers_checked(), ISC_VERSION(7, 3), "checked up to 7.3");
		ASSERT_TRUE(!catalog__kernel_newer(ISC_VERSION(7, 3)), "7.3 is covered");
		ASSERT_TRUE(catalog__kernel_newer(ISC_VERSION(7, 4)), "7.4 is newer");
		ASSERT_TRUE(!catalog__kernel_newer(ISC_VERSION(5, 10)), "5.10 is older");
	}
	TEST(corrected_rows) {
		ASSERT_EQ(catalog__by_name("IOMMU_IOAS_COPY")->reply, 1, "COPY writes dst_iova back");
		d = catalog__by_name("IOMMU_VIOMMU_ALLOC");
		ASSERT_EQ(d->nr_sizes, 2, "viommu_alloc: 24 then 40");
		ASSERT_EQ(d->sizes[0].size, 24, "24 first");
		ASSERT_EQ(d->sizes[1].since, ISC_VERSION(6, 17), "40 from 6.17");
		d = catalog__by_name("VFIO_DEVICE_GET_INFO");
		ASSERT_EQ(d->size_since, ISC_VERSION(6, 6), "device_info 24 from 6.6");
		ASSERT_EQ(catalog__feature(10)->since, ISC_VERSION(6, 7), "BUS_MASTER 6.7");
		ASSERT_EQ(catalog__feature(6)->since, ISC_VERSION(6, 1), "DMA_LOGGING 6.1");
		d = catalog__by_name("VFIO_MIG_GET_PRECOPY_INFO");
		ASSERT_TRUE(catalog__role(d, ISC_FR_OUT, 0) != NULL, "PRECOPY_INFO flags are outputs");
		ASSERT_STREQ(catalog__flags_str(d, 1, buf, sizeof(buf)), "REINIT", "REINIT named");
		ASSERT_STREQ(catalog__ext(3)->name, "TYPE1v2", "extension 3");
		ASSERT_EQ(catalog__ext_by_name("UNMAP_ALL")->id, 9, "extension by name");
		ASSERT_EQ(catalog__ext(6)->until, ISC_VERSION(6, 13), "TYPE1_NESTING gone in 6.13");
		ASSERT_TRUE(catalog__ext(11) == NULL, "no extension 11");
	}
	TEST(kind_names) {
		ASSERT_STREQ(catalog__kind_name(ISC_FD_COMPAT), "compat-container", "compat");
		ASSERT_STREQ(catalog__kind_name(ISC_FD_KIND_MAX), "unknown", "out of range");
	}
	return harness_done("test_catalog");
}

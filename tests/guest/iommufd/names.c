// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle of tests/guest-iommufd.bats for ioctl names and struct sizes:
 * "cmd name size minsz" for every iommufd ioctl (and the VFIO container ioctls
 * iommufd serves), compiled against the uapi headers of the guest kernel's
 * own source tree, not from iommuscope's catalog.
 *   cc -isystem KERNEL/uapi/include -o names names.c
 */
#include <stddef.h>
#include <stdio.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#define OFFSETOFEND(st, m) (offsetof(struct st, m) + sizeof(((struct st *)0)->m))
/* cmd, name, sizeof, the smallest size the kernel accepts: the end of the
 * member its ioctl table names (drivers/iommu/iommufd/main.c, IOCTL_OP;
 * vfio_compat.c's minsz for the VFIO ones) */
#define ROW(name, st, last) printf("%u %s %zu %zu\n", (unsigned int)(name), #name, \
				   sizeof(struct st), OFFSETOFEND(st, last))
/* by value, or no struct led by its size */
#define ROW0(name) printf("%u %s - -\n", (unsigned int)(name), #name)

int main(void)
{
	ROW(IOMMU_DESTROY, iommu_destroy, id);
	ROW(IOMMU_IOAS_ALLOC, iommu_ioas_alloc, out_ioas_id);
	ROW(IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, allowed_iovas);
	ROW(IOMMU_IOAS_COPY, iommu_ioas_copy, src_iova);
	ROW(IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, out_iova_alignment);
	ROW(IOMMU_IOAS_MAP, iommu_ioas_map, iova);
	ROW(IOMMU_IOAS_UNMAP, iommu_ioas_unmap, length);
	ROW(IOMMU_OPTION, iommu_option, val64);
	ROW(IOMMU_VFIO_IOAS, iommu_vfio_ioas, __reserved);
	ROW(IOMMU_HWPT_ALLOC, iommu_hwpt_alloc, __reserved);
	ROW(IOMMU_GET_HW_INFO, iommu_hw_info, __reserved);
	ROW(IOMMU_HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking, __reserved);
	ROW(IOMMU_HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, data);
	ROW(IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate, __reserved);
	ROW(IOMMU_FAULT_QUEUE_ALLOC, iommu_fault_alloc, out_fault_fd);
	ROW(IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file, iova);
	ROW(IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc, out_viommu_id);
	ROW(IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc, virt_id);
	ROW(IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process, __reserved);
	ROW(IOMMU_VEVENTQ_ALLOC, iommu_veventq_alloc, out_veventq_fd);
	ROW(IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc, length);
	/* what iommufd answers on its own fd and on /dev/vfio/vfio (compat) */
	ROW0(VFIO_GET_API_VERSION);
	ROW0(VFIO_CHECK_EXTENSION);
	ROW0(VFIO_SET_IOMMU);
	ROW(VFIO_IOMMU_GET_INFO, vfio_iommu_type1_info, iova_pgsizes);
	ROW(VFIO_IOMMU_MAP_DMA, vfio_iommu_type1_dma_map, size);
	ROW(VFIO_IOMMU_UNMAP_DMA, vfio_iommu_type1_dma_unmap, size);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * isc_uapi: a test-only module for the 5.10 guest of iommuscope's tests.
 *
 * Nothing in Linux 5.10 calls iommu_uapi_cache_invalidate(),
 * iommu_uapi_sva_bind_gpasid() or iommu_page_response() with data from user
 * space (the VFIO nesting series that would have was never merged), so the
 * BPF hooks on them never see a call. This module registers /dev/isc_uapi;
 * each ioctl (isc_uapi.h) passes the caller's buffer to one of them for
 * the edu device (1234:11e8) and the domain it is attached to now (a VFIO
 * container's, once the group is in one), and returns what it returned.
 * With a non-nesting domain and no fault handler registered, the VT-d
 * driver refuses each call after the core has checked argsz and version:
 * no state changes.
 */
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include "isc_uapi.h"

static long isc_uapi_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *uptr = (void __user *)arg;
	struct iommu_page_response msg;
	struct iommu_domain *domain;
	struct pci_dev *pdev;
	long ret;

	pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pdev)
		return -ENODEV;
	domain = iommu_get_domain_for_dev(&pdev->dev);
	if (!domain) {
		ret = -ENXIO;
		goto out;
	}
	switch (cmd) {
	case ISC_UAPI_CACHE_INV:
		ret = iommu_uapi_cache_invalidate(domain, &pdev->dev, uptr);
		break;
	case ISC_UAPI_BIND_GPASID:
		ret = iommu_uapi_sva_bind_gpasid(domain, &pdev->dev, uptr);
		break;
	case ISC_UAPI_PAGE_RESP:
		if (copy_from_user(&msg, uptr, sizeof(msg))) {
			ret = -EFAULT;
			break;
		}
		ret = iommu_page_response(&pdev->dev, &msg);
		break;
	default:
		ret = -ENOTTY;
	}
out:
	pci_dev_put(pdev);
	return ret;
}

static const struct file_operations isc_uapi_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = isc_uapi_ioctl,
};

static struct miscdevice isc_uapi_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "isc_uapi",
	.fops = &isc_uapi_fops,
	.mode = 0600,
};

module_misc_device(isc_uapi_dev);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iommuscope tests: user buffers to the 5.10 IOMMU UAPI functions");

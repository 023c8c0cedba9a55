// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"


static uint32_t head_u32(const struct isc_ioctl_event *e, unsigned int off)
{
	uint32_t v;

	memcpy(&v, e->arg_head + off, sizeof(v));
	return v;
}

int decode__type(const void *data, size_t size)
{
	struct isc_event_hdr h;

	if (size < sizeof(h))
		return ISC_DEC_SHORT;
	memcpy(&h, data, sizeof(h));
	if (h.size < sizeof(h) || h.size > size)
		return ISC_DEC_SHORT;
	if (h.version < ISC_EVENT_VERSION_MIN || h.version > ISC_EVENT_VERSION)
		return ISC_DEC_VERSION;
	if (h.type != ISC_EV_IOCTL && h.type != ISC_EV_IOMMU && h.type != ISC_EV_DENY)
		return ISC_DEC_TYPE;
	return h.type;
}

/* Check a record's header against the type and layout expected, then copy
 * it whole (ring-buffer memory is not trusted beyond this point). A record
 * may be len bytes or, where short_len is not 0, short_len (a version 2
 * record, a version 3 one without its device part): the rest of dst is
 * zeroed. */
static int copy_record(const void *data, size_t size, int type, void *dst, size_t len,
		       size_t short_len)
{
	int t = decode__type(data, size);
	uint32_t n;

	if (t < 0)
		return t;
	if (t != type)
		return ISC_DEC_TYPE;
	memcpy(&n, (const char *)data + offsetof(struct isc_event_hdr, size), sizeof(n));
	if (n != len && (!short_len || n != short_len))
		return ISC_DEC_SHORT;
	memset(dst, 0, len);
	memcpy(dst, data, n);
	return ISC_DEC_OK;
}

/* The device part of a record: its name made a string, absent (group -1)
 * where the record has none. */
static bool dev_id_take(struct isc_dev_id *d, bool there)
{
	d->name[ISC_DEV_NAME_LEN - 1] = '\0';
	if (there && d->name[0])
		return true;
	memset(d, 0, sizeof(*d));
	d->iommu_group = -1;
	return false;
}

/* "0000:00:03.0 vf_token=UUID": the token is a shared secret. */
static void copy_str_arg(struct isc_ioctl_view *v)
{
	size_t n = strnlen((const char *)v->ev.arg_head, v->ev.arg_len);
	char *tok;

	if (n >= sizeof(v->str))
		n = sizeof(v->str) - 1;
	memcpy(v->str, v->ev.arg_head, n);
	v->str[n] = '\0';
	tok = strstr(v->str, "vf_token=");
	if (tok)
		snprintf(tok, sizeof(v->str) - (tok - v->str), "vf_token=<redacted>");
}

static void decode_caps(struct isc_ioctl_view *v, const struct isc_ioctl_desc *d)
{
	const struct isc_ioctl_event *e = &v->ev;
	int i;
	size_t k;

	if (!(e->iof & ISC_IOF_CAPS))
		return;
	v->caps_walked = true;
	v->nr_caps = e->nr_caps > ISC_MAX_CAPS ? ISC_MAX_CAPS : e->nr_caps;
	for (i = 0; i < v->nr_caps; i++) {
		v->cap_id[i] = e->caps[i] & 0xffff;
		v->cap_version[i] = e->caps[i] >> 16;
		v->cap_name[i] = NULL;
		for (k = 0; k < d->nr_caps; k++)
			if (d->caps[k].id == v->cap_id[i])
				v->cap_name[i] = d->caps[k].name;
	}
	if (e->iof & ISC_IOF_CAPS_BAD)
		v->caps_error = "loop or out of range";
	else if (e->iof & ISC_IOF_CAPS_MORE)
		v->caps_error = "more capabilities than recorded";
}

/* An ioctl record, checked: version 2 records, and version 3 ones of files
 * other than device fds, end before dev. */
static int copy_ioctl(const void *data, size_t size, struct isc_ioctl_view *v)
{
	struct isc_ioctl_event *e = &v->ev;
	int err;

	err = copy_record(data, size, ISC_EV_IOCTL, e, ISC_IOCTL_DEV_SIZE, ISC_IOCTL_BASE_SIZE);
	if (!err && e->hdr.version < 3 && e->hdr.size != ISC_IOCTL_BASE_SIZE)
		err = ISC_DEC_SHORT;
	if (err)
		return err;
	if (e->arg_len > ISC_ARG_HEAD || e->fd_kind >= ISC_FD_KIND_MAX ||
	    e->entry_hook > ISC_HOOK_LSM || e->exit_hook > ISC_HOOK_LSM)
		return ISC_DEC_BAD;
	e->comm[ISC_COMM_LEN - 1] = '\0';
	v->has_device = dev_id_take(&e->dev, (e->iof & ISC_IOF_DEVICE) &&
				    e->hdr.size == ISC_IOCTL_DEV_SIZE);
	return ISC_DEC_OK;
}

int decode__ioctl(const void *data, size_t size, struct isc_ioctl_view *v)
{
	const struct isc_ioctl_desc *d;
	struct isc_ioctl_event *e = &v->ev;
	size_t i;
	int err;

	memset(v, 0, sizeof(*v));
	err = copy_ioctl(data, size, v);
	if (err)
		return err;
	/* fexit sees the fops handler's own return: an unknown command is
	 * -ENOIOCTLCMD there (iommufd_fops_ioctl), which vfs_ioctl() turns into
	 * the -ENOTTY user space gets. */
	if (e->exit_hook == ISC_HOOK_FENTRY && e->ret == -ISC_ENOIOCTLCMD)
		e->ret = -ENOTTY;

	d = v->desc = catalog__lookup(e->cmd, e->fd_kind);
	if (!d)
		return ISC_DEC_OK;
	switch (d->arg) {
	case ISC_ARG_STRUCT:
		if (e->arg_len >= 4) {
			v->has_argsz = true;
			v->argsz = head_u32(e, 0);
		}
		if (d->flags_off >= 0 && e->arg_len >= (unsigned int)d->flags_off + 4) {
			v->has_flags = true;
			v->flags = head_u32(e, d->flags_off);
		}
		if (d->reply && (e->iof & ISC_IOF_ARGSZ_OUT)) {
			v->has_argsz_out = true;
			v->argsz_out = e->argsz_out;
		}
		if (d->caps_at && !e->ret && e->arg_len >= 8) {
			v->has_flags_out = true;
			v->flags_out = e->flags_out;
		}
		decode_caps(v, d);
		for (i = 0; i < d->nr_fields && v->nr_fields < ISC_MAX_FIELDS; i++) {
			uint64_t val;

			if (catalog__field(&d->fields[i], e->arg_head, e->arg_len, &val))
				continue;
			v->field_keys[v->nr_fields] = d->fields[i].key;
			v->field_vals[v->nr_fields++] = val;
		}
		break;
	case ISC_ARG_VALUE:
		v->has_value = true;
		v->value_key = "arg";
		v->value = (int64_t)e->arg;
		break;
	case ISC_ARG_INT_PTR:
	case ISC_ARG_U32_PTR:
		if (e->arg_len >= 4) {
			v->has_value = true;
			v->value_key = d->arg == ISC_ARG_INT_PTR ? "container_fd" : "dmabuf_id";
			v->value = d->arg == ISC_ARG_INT_PTR ? (int64_t)(int32_t)head_u32(e, 0) :
							       (int64_t)head_u32(e, 0);
		}
		break;
	case ISC_ARG_STR_PTR:
		if (e->arg_len)
			copy_str_arg(v);
		break;
	case ISC_ARG_NONE:
		break;
	}
	return ISC_DEC_OK;
}

static const char *const iommu_ops[] = {
	[ISC_IOMMU_BIND] = "bind",
	[ISC_IOMMU_UNBIND] = "unbind",
	[ISC_IOMMU_INVALIDATE] = "invalidate",
	[ISC_IOMMU_FAULT] = "fault",
	[ISC_IOMMU_PAGE_RESPONSE] = "page-response",
	[ISC_IOMMU_FAULT_RESPONSE] = "fault-response",
};

static const char *const iommu_hooks[ISC_IH_MAX] = {
#define ISC_FUNC(id, func) [ISC_IH_##id] = #func,
#include "hooks.def"
};

int decode__iommu(const void *data, size_t size, struct isc_iommu_view *v)
{
	struct isc_iommu_event *e = &v->ev;
	int err;

	memset(v, 0, sizeof(*v));
	err = copy_record(data, size, ISC_EV_IOMMU, e, sizeof(*e), 0);
	if (err)
		return err;
	if (!e->op || e->op >= sizeof(iommu_ops) / sizeof(iommu_ops[0]) || !e->hook ||
	    e->hook >= ISC_IH_MAX || e->in_kind >= ISC_FD_KIND_MAX)
		return ISC_DEC_BAD;
	e->comm[ISC_COMM_LEN - 1] = '\0';
	e->device[ISC_DEV_NAME_LEN - 1] = '\0';
	v->op = iommu_ops[e->op];
	v->hook = iommu_hooks[e->hook];
	v->group = e->group_id;
	if (e->in_cmd)
		v->in_ioctl = catalog__lookup(e->in_cmd, e->in_kind);
	if (e->ief & ISC_IEF_SID)
		snprintf(v->device, sizeof(v->device), "0000:%02x:%02x.%x", e->source_id >> 8,
			 (e->source_id >> 3) & 0x1f, e->source_id & 7);
	else
		memcpy(v->device, e->device, sizeof(v->device));
	return ISC_DEC_OK;
}

int decode__deny(const void *data, size_t size, struct isc_deny_view *v)
{
	struct isc_deny_event *e = &v->ev;
	int err;

	memset(v, 0, sizeof(*v));
	/* version 2: no dev */
	err = copy_record(data, size, ISC_EV_DENY, e, sizeof(*e), ISC_DENY_V2_SIZE);
	if (!err && (e->hdr.version < 3) != (e->hdr.size == ISC_DENY_V2_SIZE))
		err = ISC_DEC_SHORT;
	if (err)
		return err;
	if (!e->reason || e->reason >= ISC_DENY_REASON_MAX || e->fd_kind >= ISC_FD_KIND_MAX ||
	    !e->hook || e->hook > ISC_EH_EXIT || e->err < 0 || e->err > 4095 || e->audit_only > 1 ||
	    e->killed > 1)
		return ISC_DEC_BAD;
	e->comm[ISC_COMM_LEN - 1] = 0;
	v->has_device = dev_id_take(&e->dev, true);
	v->race = e->reason == ISC_RACE;
	v->desc = catalog__lookup(e->cmd, e->fd_kind);
	return ISC_DEC_OK;
}

const char *decode__strerr(int err)
{
	switch (err) {
	case ISC_DEC_SHORT:
		return "truncated record";
	case ISC_DEC_TYPE:
		return "unknown record type";
	case ISC_DEC_VERSION:
		return "record version mismatch";
	case ISC_DEC_BAD:
		return "field out of range";
	default:
		return "ok";
	}
}

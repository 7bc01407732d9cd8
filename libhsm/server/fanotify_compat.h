/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fanotify_compat.h - fanotify pre-content constants the system headers
 * (Linux 6.1 uapi) lack.  Values from the v6.14+ uapi
 * include/uapi/linux/fanotify.h, checked against this kernel's behaviour
 * (../shared/KERNEL-FACTS.md, probes/p1).
 */
#ifndef LIBHSM_FANOTIFY_COMPAT_H
#define LIBHSM_FANOTIFY_COMPAT_H

#include <linux/types.h>
#include <sys/fanotify.h>

#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS		0x00100000	/* v6.14 */
#endif
#ifndef FAN_REPORT_FD_ERROR
#define FAN_REPORT_FD_ERROR	0x00002000	/* v6.13: fd may be -errno */
#endif
#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE	0x00000200
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE		0x00000400
#endif
#ifndef FAN_MARK_IGNORE_SURV
#define FAN_MARK_IGNORE_SURV	(FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY)
#endif

#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6		/* v6.14 */
struct fanotify_event_info_range {
	struct fanotify_event_info_header hdr;
	__u32	pad;
	__u64	offset;
	__u64	count;
};
#endif

#ifndef FAN_DENY_ERRNO
#define FAN_ERRNO_BITS		8
#define FAN_ERRNO_SHIFT		(32 - FAN_ERRNO_BITS)
#define FAN_ERRNO_MASK		((1 << FAN_ERRNO_BITS) - 1)
/* Only EPERM, EIO, EAGAIN, EBUSY, ETXTBSY, ENOSPC, EDQUOT are accepted. */
#define FAN_DENY_ERRNO(err) \
	(FAN_DENY | ((((__u32)(err)) & FAN_ERRNO_MASK) << FAN_ERRNO_SHIFT))
#endif

#endif /* LIBHSM_FANOTIFY_COMPAT_H */

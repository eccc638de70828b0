/* caps.c: capability names and the file capabilities stored in security.capability. */
#include "caps.h"

#include <endian.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/xattr.h>

static const char *const cap_names[] = {
	[CAP_CHOWN] = "cap_chown",
	[CAP_DAC_OVERRIDE] = "cap_dac_override",
	[CAP_DAC_READ_SEARCH] = "cap_dac_read_search",
	[CAP_FOWNER] = "cap_fowner",
	[CAP_FSETID] = "cap_fsetid",
	[CAP_KILL] = "cap_kill",
	[CAP_SETGID] = "cap_setgid",
	[CAP_SETUID] = "cap_setuid",
	[CAP_SETPCAP] = "cap_setpcap",
	[CAP_LINUX_IMMUTABLE] = "cap_linux_immutable",
	[CAP_NET_BIND_SERVICE] = "cap_net_bind_service",
	[CAP_NET_BROADCAST] = "cap_net_broadcast",
	[CAP_NET_ADMIN] = "cap_net_admin",
	[CAP_NET_RAW] = "cap_net_raw",
	[CAP_IPC_LOCK] = "cap_ipc_lock",
	[CAP_IPC_OWNER] = "cap_ipc_owner",
	[CAP_SYS_MODULE] = "cap_sys_module",
	[CAP_SYS_RAWIO] = "cap_sys_rawio",
	[CAP_SYS_CHROOT] = "cap_sys_chroot",
	[CAP_SYS_PTRACE] = "cap_sys_ptrace",
	[CAP_SYS_PACCT] = "cap_sys_pacct",
	[CAP_SYS_ADMIN] = "cap_sys_admin",
	[CAP_SYS_BOOT] = "cap_sys_boot",
	[CAP_SYS_NICE] = "cap_sys_nice",
	[CAP_SYS_RESOURCE] = "cap_sys_resource",
	[CAP_SYS_TIME] = "cap_sys_time",
	[CAP_SYS_TTY_CONFIG] = "cap_sys_tty_config",
	[CAP_MKNOD] = "cap_mknod",
	[CAP_LEASE] = "cap_lease",
	[CAP_AUDIT_WRITE] = "cap_audit_write",
	[CAP_AUDIT_CONTROL] = "cap_audit_control",
	[CAP_SETFCAP] = "cap_setfcap",
	[CAP_MAC_OVERRIDE] = "cap_mac_override",
	[CAP_MAC_ADMIN] = "cap_mac_admin",
	[CAP_SYSLOG] = "cap_syslog",
	[CAP_WAKE_ALARM] = "cap_wake_alarm",
	[CAP_BLOCK_SUSPEND] = "cap_block_suspend",
	[CAP_AUDIT_READ] = "cap_audit_read",
	[CAP_PERFMON] = "cap_perfmon",
	[CAP_BPF] = "cap_bpf",
	[CAP_CHECKPOINT_RESTORE] = "cap_checkpoint_restore",
};

#define CAP_NAMES_COUNT ((int)(sizeof cap_names / sizeof cap_names[0]))

const char *cap_name(int cap)
{
	if (cap < 0 || cap >= CAP_NAMES_COUNT)
		return NULL;
	return cap_names[cap];
}

int cap_from_name(const char *name)
{
	for (int cap = 0; cap < CAP_NAMES_COUNT; cap++) {
		if (strcasecmp(name, cap_names[cap]) == 0)
			return cap;
	}
	return -1;
}

int file_caps_read(const char *path, struct file_caps *caps, struct error *err)
{
	/* The on-disk layout (little-endian): magic_etc, {permitted, inheritable} x 1 or 2,
	 * and for revision 3 the namespace root uid. */
	struct vfs_ns_cap_data raw;
	memset(caps, 0, sizeof *caps);
	memset(&raw, 0, sizeof raw);

	ssize_t n = getxattr(path, "security.capability", &raw, sizeof raw);
	if (n < 0 && errno == ENODATA)
		return 0;
	if (n < 0)
		return error_sys(err, "read security.capability of %s", path);

	uint32_t magic = le32toh(raw.magic_etc);
	size_t want;
	switch (magic & VFS_CAP_REVISION_MASK) {
	case VFS_CAP_REVISION_1:
		want = XATTR_CAPS_SZ_1;
		break;
	case VFS_CAP_REVISION_2:
		want = XATTR_CAPS_SZ_2;
		break;
	case VFS_CAP_REVISION_3:
		want = XATTR_CAPS_SZ_3;
		break;
	default:
		return error_msg(err, "security.capability of %s: unknown revision 0x%x", path,
				 magic & VFS_CAP_REVISION_MASK);
	}
	if ((size_t)n != want)
		return error_msg(err, "security.capability of %s: %zd bytes, revision wants %zu", path, n,
				 want);

	caps->present = true;
	caps->effective = (magic & VFS_CAP_FLAGS_EFFECTIVE) != 0;
	caps->permitted = le32toh(raw.data[0].permitted);
	caps->inheritable = le32toh(raw.data[0].inheritable);
	if ((magic & VFS_CAP_REVISION_MASK) != VFS_CAP_REVISION_1) {
		caps->permitted |= (uint64_t)le32toh(raw.data[1].permitted) << 32;
		caps->inheritable |= (uint64_t)le32toh(raw.data[1].inheritable) << 32;
	}
	if ((magic & VFS_CAP_REVISION_MASK) == VFS_CAP_REVISION_3)
		caps->rootid = le32toh(raw.rootid);
	return 0;
}

void file_caps_format(const struct file_caps *caps, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	if (!caps->present || caps->permitted == 0) {
		snprintf(buf, len, "(none)");
		return;
	}
	for (int cap = 0; cap < 64 && used < len; cap++) {
		if (!(caps->permitted & ((uint64_t)1 << cap)))
			continue;
		const char *name = cap_name(cap);
		int w = name ? snprintf(buf + used, len - used, "%s%s", used ? "," : "", name)
			     : snprintf(buf + used, len - used, "%scap_%d", used ? "," : "", cap);
		if (w < 0)
			return;
		used += (size_t)w;
	}
	if (used < len)
		snprintf(buf + used, len - used, "=%sp", caps->effective ? "e" : "");
}

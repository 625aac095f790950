package safeio

import "golang.org/x/sys/unix"

// configfsMagic is CONFIGFS_MAGIC, which x/sys/unix does not define.
const configfsMagic = 0x62656570

// kernelFilesystems are the Linux pseudo-filesystems whose files are made
// by the kernel as they are read: they stat as regular files, often of
// size 0, and may hold secrets (/proc/self/environ) or have effects. The
// magic numbers are statfs(2)'s f_type. devtmpfs is not among them: it
// reports tmpfs's magic, and what it holds are device nodes, which the
// file-type check refuses.
var kernelFilesystems = map[uint32]string{
	unix.PROC_SUPER_MAGIC:    "procfs",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroupfs",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2fs",
	configfsMagic:            "configfs",
	unix.EFIVARFS_MAGIC:      "efivarfs",
	unix.BPF_FS_MAGIC:        "bpffs",
}

// kernelFS names the kernel pseudo-filesystem fd is on, or "" when it is
// on another (or fstatfs fails: the file-type check has already passed,
// and a regular file on an unknown filesystem is read through the limit).
func kernelFS(fd int) string {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return ""
	}
	// f_type's Go type differs between architectures; the magics are 32-bit.
	return kernelFilesystems[uint32(st.Type)]
}

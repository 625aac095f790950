//go:build unix && !linux

package safeio

// kernelFS reports no kernel pseudo-filesystem outside Linux: elsewhere
// procfs is absent or optional, and its files are still read through the
// size limit.
func kernelFS(fd int) string { return "" }

# "cmd result" per VFIO/iommufd ioctl(2) (0x3Bxx) in strace -f -X raw output;
# result is ok or the errno name. Calls split by -f into "<unfinished ...>"
# and "<... ioctl resumed>" are joined per pid; calls never resumed (the
# process was killed) end as "unfinished". Portable awk (mawk: no strtonum).
# With -v kinds=1 (strace -y -X verbose): "cmd kind result names", kind
# from the fd's path as iommuscope names it (container, group, device,
# iommufd; other), names strace's own for the number, "|" between the
# candidates, no blanks ("-" under -X raw); -v container=KIND names what
# serves /dev/vfio/vfio (compat-container where iommufd does).
function hex(s,  i, v) {
	v = 0; s = tolower(s); sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
function result(line) {
	if (line ~ /= -1 E[A-Z0-9]+/) { sub(/.*= -1 /, "", line); sub(/ .*/, "", line); return line }
	if (line ~ /= [0-9]+/) return "ok"
	return "?"
}
# "8</dev/vfio/vfio>" (strace -y) -> container
function kind(fd) {
	if (fd !~ /</) return "-"
	sub(/^[0-9]+</, "", fd); sub(/>$/, "", fd)
	if (fd == "/dev/vfio/vfio") return container == "" ? "container" : container
	if (fd ~ /^\/dev\/vfio\/(noiommu-)?[0-9]+$/) return "group"
	if (fd == "anon_inode:[vfio-device]" || fd ~ /^\/dev\/vfio\/devices\//) return "device"
	if (fd == "/dev/iommu") return "iommufd"
	return "other"
}
# the call's "cmd[ kind names]" from its first line
function call(line,  fd, c, names) {
	sub(/.* ioctl\(/, "", line)
	fd = line; sub(/, 0x3b.*/, "", fd)
	c = line; sub(/^[^,]*, /, "", c)
	names = "-"
	if (c ~ /^0x3b[0-9a-f]+ \/\* /) {
		names = c; sub(/^0x3b[0-9a-f]+ \/\* /, "", names); sub(/ \*\/.*/, "", names)
		gsub(/ or /, "|", names); gsub(/ /, "", names)
	}
	sub(/[ ,].*/, "", c)
	return kinds ? hex(c) " " kind(fd) SUBSEP names : hex(c)
}
function out(c, res,  n) {
	n = index(c, SUBSEP)
	if (n) print substr(c, 1, n - 1), res, substr(c, n + 1)
	else print c, res
}
/ ioctl\([0-9]+(<[^>]*>)?, 0x3b[0-9a-f][0-9a-f][, ]/ {
	c = call($0)
	if ($0 ~ /<unfinished \.\.\.>/) { pending[$1] = c; next }
	out(c, result($0)); next
}
/<\.\.\. ioctl resumed>/ && ($1 in pending) { out(pending[$1], result($0)); delete pending[$1] }
END { for (p in pending) out(pending[p], "unfinished") }

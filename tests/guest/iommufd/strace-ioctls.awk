# "cmd result" per VFIO/iommufd ioctl(2) (0x3Bxx) in strace -f -X raw output;
# result is ok or the errno name. Calls split by -f into "<unfinished ...>"
# and "<... ioctl resumed>" are joined per pid; calls never resumed (the
# process was killed) end as "unfinished". Portable awk (mawk: no strtonum).
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
/ ioctl\([0-9]+, 0x3b[0-9a-f][0-9a-f],/ {
	cmd = $0; sub(/.* ioctl\([0-9]+, /, "", cmd); sub(/,.*/, "", cmd)
	if ($0 ~ /<unfinished \.\.\.>/) { pending[$1] = cmd; next }
	print hex(cmd), result($0); next
}
/<\.\.\. ioctl resumed>/ && ($1 in pending) { print hex(pending[$1]), result($0); delete pending[$1] }
END { for (p in pending) print hex(pending[p]), "unfinished" }

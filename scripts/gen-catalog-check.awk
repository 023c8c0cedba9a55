# Turn include/catalog.def into what make check-headers compiles and compares
# against the uapi headers of each release.
#
#   awk -f gen-catalog-check.awk include/catalog.def > catalog_check.c
#     C11 _Static_asserts against <linux/vfio.h> and <linux/iommufd.h>: ioctl
#     numbers, minsz, sizes (each size generation over its releases), flag,
#     feature, capability and extension values, key-field offsets and widths.
#     Each row is guarded by the release that introduced it, so older headers
#     check what they have.
#   awk -v mode=ids -f gen-catalog-check.awk include/catalog.def
#     one line per header identifier the catalog names:
#       IDENT SINCE UNTIL ROW   (versions as maj.min; UNTIL 0.0: still there)
#     and one "HEADERS maj.min" line (ISC_HEADERS): check-catalog-headers.sh
#     bounds each row's release on both sides with it.
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
function args(line,   body, n, i, a) {
	body = line
	sub(/^[A-Z_]+\(/, "", body)
	sub(/\)[ \t]*$/, "", body)
	n = split(body, a, ",")
	for (i = 1; i <= n; i++)
		A[i] = trim(a[i])
	return n
}
function guard(maj, min, hdr) {
	return sprintf("#if %s && LINUX_VERSION_CODE >= KERNEL_VERSION(%d, %d, 0)", hdr, maj, min)
}
function assert(cond, what) {
	if (mode != "ids")
		printf "_Static_assert(%s, \"catalog: %s\");\n", cond, what
	rows++
}
function out(s) { if (mode != "ids") print s }
function ident(id, since, until, row) {
	if (mode == "ids")
		printf "%s %s %s %s\n", id, since, until, row
}
BEGIN {
	out("/* Generated from include/catalog.def by scripts/gen-catalog-check.awk. */")
	out("#include <stddef.h>")
	out("#include <linux/version.h>")
	out("#include <linux/vfio.h>")
	out("#if __has_include(<linux/iommufd.h>)")
	out("#include <linux/iommufd.h>")
	out("#define HAVE_IOMMUFD_H 1")
	out("#else")
	out("#define HAVE_IOMMUFD_H 0")
	out("#endif")
	out("#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))")
	out("#define member_size(T, m) sizeof(((T *)0)->m)")
	out("int catalog_check_rows;")
}
/^ISC_IOCTL\(/ {
	args($0)
	name = A[1]; nr = A[2]; kinds = A[3]; stag = A[5]; lastf = A[6]
	size = A[7]; minsz = A[8]
	hdr = (name ~ /^IOMMU_/) ? "HAVE_IOMMUFD_H" : "1"
	if (kinds ~ /SPAPR/ || kinds ~ /MIG/)
		hdr = hdr " && defined(" name ")"
	ioc[name] = hdr
	tag[name] = stag
	zmaj[name] = A[13]; zmin[name] = A[14]
	ident(name, A[11] "." A[12], "0.0", "ISC_IOCTL")
	out(guard(A[11], A[12], hdr))
	assert(sprintf("%s == (0x3b00 | %s)", name, nr), name " number")
	if (stag != "_")
		assert(sprintf("offsetofend(struct %s, %s) == %s", stag, lastf, minsz), name " minsz")
	out("#endif")
	if (stag != "_") {
		out(guard(A[13], A[14], hdr))
		assert(sprintf("sizeof(struct %s) == %s", stag, size), name " size")
		out("#endif")
	}
}
# a macro of ioctl n's header with a value, since maj.min
function value_row(id, val, maj, min, n, what) {
	ident(id, maj "." min, "0.0", what)
	out(guard(maj, min, ioc[n]))
	assert(sprintf("%s == %s", id, val), id)
	out("#endif")
}
/^ISC_FLAG\(/ {
	args($0)
	value_row(A[2], A[4], A[5], A[6], A[1], "ISC_FLAG(" A[1] ")")
}
/^ISC_FIELD\(/ {
	# the current layout: from the release that gave the struct its size
	args($0)
	n = A[1]
	key = A[2]
	gsub(/"/, "", key)
	out(guard(zmaj[n], zmin[n], ioc[n]))
	assert(sprintf("offsetof(struct %s, %s) <= %s && %s + %s <= offsetof(struct %s, %s) + member_size(struct %s, %s)",
		       tag[n], A[3], A[4], A[4], A[5], tag[n], A[3], tag[n], A[3]),
	       n " field " key " is " A[3])
	out("#endif")
}
/^ISC_CAP\(/ {
	args($0)
	value_row(A[2], A[3], A[5], A[6], A[1], "ISC_CAP(" A[1] ")")
}
/^ISC_FEATURE\(/ {
	args($0)
	if (A[4] == 0 && A[5] == 0)
		next		# not verified, not judged
	f = A[2]
	gsub(/"/, "", f)
	ident("VFIO_DEVICE_FEATURE_" f, A[4] "." A[5], "0.0", "ISC_FEATURE")
	out(guard(A[4], A[5], "1"))
	assert(sprintf("VFIO_DEVICE_FEATURE_%s == %s", f, A[1]), "feature " f)
	out("#endif")
}
/^ISC_EXT\(/ {
	args($0)
	ident(A[2], A[4] "." A[5], A[6] "." A[7], "ISC_EXT")
	s = sprintf("#if LINUX_VERSION_CODE >= KERNEL_VERSION(%d, %d, 0)", A[4], A[5])
	if (A[6] != 0 || A[7] != 0)
		s = s sprintf(" && LINUX_VERSION_CODE < KERNEL_VERSION(%d, %d, 0)", A[6], A[7])
	out(s)
	assert(sprintf("%s == %s", A[2], A[1]), "extension " A[2])
	out("#endif")
}
/^ISC_HEADERS\(/ {
	args($0)
	if (mode == "ids")
		printf "HEADERS %s.%s\n", A[1], A[2]
}
/^ISC_SIZE\(/ {
	args($0)
	nsz++
	szname[nsz] = A[1]; szval[nsz] = A[2]; szmaj[nsz] = A[3]; szmin[nsz] = A[4]
}
END {
	# each size generation holds from its version until the next one's
	for (i = 1; i <= nsz; i++) {
		n = szname[i]
		s = sprintf("#if %s && LINUX_VERSION_CODE >= KERNEL_VERSION(%d, %d, 0)", ioc[n], szmaj[i], szmin[i])
		if (i < nsz && szname[i + 1] == n)
			s = s sprintf(" && LINUX_VERSION_CODE < KERNEL_VERSION(%d, %d, 0)", szmaj[i + 1], szmin[i + 1])
		out(s)
		assert(sprintf("sizeof(struct %s) == %s", tag[n], szval[i]), n " size " szval[i])
		out("#endif")
	}
	out(sprintf("int catalog_check_rows = %d;", rows))
}

# Turn include/catalog.def into C11 _Static_asserts against the system's
# <linux/vfio.h> and <linux/iommufd.h>. Each row is guarded by the header
# version that introduced it, so older headers check what they have.
# Usage: awk -f gen-catalog-check.awk include/catalog.def > catalog_check.c
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
BEGIN {
	print "/* Generated from include/catalog.def by scripts/gen-catalog-check.awk. */"
	print "#include <stddef.h>"
	print "#include <linux/version.h>"
	print "#include <linux/vfio.h>"
	print "#if __has_include(<linux/iommufd.h>)"
	print "#include <linux/iommufd.h>"
	print "#define HAVE_IOMMUFD_H 1"
	print "#else"
	print "#define HAVE_IOMMUFD_H 0"
	print "#endif"
	print "#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))"
	print "int catalog_check_rows;"
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
	print guard(A[11], A[12], hdr)
	printf "_Static_assert(%s == (0x3b00 | %s), \"catalog: %s number\");\n", name, nr, name
	if (stag != "_") {
		printf "_Static_assert(offsetofend(struct %s, %s) == %s, \"catalog: %s minsz\");\n", stag, lastf, minsz, name
	}
	print "#endif"
	if (stag != "_") {
		print guard(A[13], A[14], hdr)
		printf "_Static_assert(sizeof(struct %s) == %s, \"catalog: %s size\");\n", stag, size, name
		print "#endif"
	}
	rows++
}
/^ISC_FLAG\(/ {
	args($0)
	print guard(A[5], A[6], ioc[A[1]])
	printf "_Static_assert(%s == %s, \"catalog: %s\");\n", A[2], A[4], A[2]
	print "#endif"
	rows++
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
		printf "#if %s && LINUX_VERSION_CODE >= KERNEL_VERSION(%d, %d, 0)", ioc[n], szmaj[i], szmin[i]
		if (i < nsz && szname[i + 1] == n)
			printf " && LINUX_VERSION_CODE < KERNEL_VERSION(%d, %d, 0)", szmaj[i + 1], szmin[i + 1]
		printf "\n_Static_assert(sizeof(struct %s) == %s, \"catalog: %s size %s\");\n#endif\n",
			tag[n], szval[i], n, szval[i]
		rows++
	}
	printf "int catalog_check_rows = %d;\n", rows
}

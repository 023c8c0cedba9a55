#!/usr/bin/env bash
# make check-funclen: no function in user/*/*.c and bpf/*.c (without
# arguments), or in the files given, is longer than 80 lines (FUNCLEN_MAX
# to change it).
#
# Kernel style is assumed, as in this tree: a function's body opens with
# "{" at column 0 and closes with "}" at column 0; nothing else does (a
# struct or an initializer opens on its declaration's line). A function's
# length is counted from the first line of its signature (the return type
# when it stands on a line of its own, not SEC() or a comment above) through
# its closing "}", both included.
#
# Prints "file:line: function NAME is N lines (max 80)" per function over
# the limit (line: where the signature starts) and exits 1 if there is one.
set -uo pipefail
max=${FUNCLEN_MAX:-80}
if [ $# -eq 0 ]; then
	cd "$(dirname "$0")/.." || exit 2
	set -- user/*/*.c bpf/*.c
fi
for f in "$@"; do
	if [ ! -r "$f" ]; then
		echo "check-funclen: cannot read $f" >&2
		exit 2
	fi
done

awk -v max="$max" '
# The function name in a signature: the identifier before its first "(";
# for a signature made by a macro (BPF_PROG(name, ...)), its first argument.
function fname(sig,    s, name) {
	s = sig
	sub(/\(.*/, "", s)
	name = s
	sub(/.*[^A-Za-z0-9_]/, "", name)
	if (name ~ /^[A-Z][A-Z0-9_]*$/ && match(sig, /\([ \t]*[A-Za-z_][A-Za-z0-9_#]*[ \t]*,/)) {
		s = substr(sig, RSTART + 1, RLENGTH - 2)
		gsub(/[ \t]/, "", s)
		name = s
	}
	return name
}
# A line that can start a signature or hold its return type alone: at
# column 0, not a comment, a preprocessor line, a blank line or the end of
# a declaration or of a body.
function sigline(l) {
	return l ~ /^[A-Za-z_]/ && l !~ /;[ \t]*$/ && l !~ /^(SEC|__section)\(/
}
FNR == 1 { n = 0; infn = 0 }
{ line[FNR] = $0 }
/^\{/ && !infn {
	# walk back over the signature: continuation lines are indented, the
	# first one starts at column 0 and holds the "("
	s = FNR - 1
	while (s > 0 && line[s] ~ /^[ \t]/ && line[s] !~ /^[ \t]*(\*|\/\*|$)/)
		s--
	if (s < 1 || !sigline(line[s]) || line[s] !~ /\(/ || line[FNR - 1] ~ /=[ \t]*$/)
		next
	sig = line[s]
	for (k = s + 1; k < FNR; k++)
		sig = sig " " line[k]
	# a return type on the line above: "static __always_inline int\nname(...)"
	if (s > 1 && sigline(line[s - 1]) && line[s - 1] !~ /[(){}]/)
		s--
	start = s
	name = fname(sig)
	infn = 1
	next
}
/^\}/ && infn {
	infn = 0
	len = FNR - start + 1
	if (len > max) {
		printf "%s:%d: function %s is %d lines (max %d)\n", FILENAME, start, name, len, max
		bad = 1
	}
}
END { exit bad ? 1 : 0 }
' "$@"

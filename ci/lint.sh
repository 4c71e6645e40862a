#!/usr/bin/env bash
# ci/lint.sh - the static checks, each run to the end so one report shows
# every finding:
#   cppcheck and clang-tidy on src/ (any finding fails; suppressions live
#   in ci/cppcheck.supp and .clang-tidy, each with its reason),
#   every shell script in the tree through shellcheck,
#   every Python file through pyflakes,
#   the man pages through mandoc -Tlint,
#   the GitHub workflows validated against the schema GitHub enforces, and
#   checked to run every make goal that .ci/run runs.
# Usage: ci/lint.sh [BUILD_DIR]   (run from the top of the tree; the
# workflow validator is installed from npm into BUILD_DIR/node)
set -euo pipefail

B=${1:-build}
# Same defines as the build, so both tools see the code the compiler sees.
DEFS=(-D_POSIX_C_SOURCE=200809L -Isrc)
VALIDATOR_VERSION=0.6.0
failed=()

run_cppcheck() {
	# style is in: an unused value or a needlessly wide scope is worth a
	# look in code that people copy from.
	cppcheck --std=c99 --enable=warning,style,performance,portability \
		--inconclusive --library=posix "${DEFS[@]}" \
		--suppressions-list=ci/cppcheck.supp --inline-suppr \
		--error-exitcode=1 --quiet \
		--template='{file}:{line}: {severity}: {message} [{id}]' src/
}

run_clang_tidy() {
	local out rc=0
	# .clang-tidy turns every shown warning into an error.  The lines
	# counting warnings in system headers (never shown) are only noise.
	out=$(clang-tidy --quiet src/*.c -- -std=c99 "${DEFS[@]}" 2>&1) || rc=$?
	grep -Ev '^[0-9]+ warnings? generated\.$' <<<"$out" || true
	return $rc
}

# Every file that is a shell script: by extension, or by its #! line (.ci/run
# and friends have no extension).  Build output and dependencies are not ours.
shell_scripts() {
	find . \( -path ./.git -o -path "./$B" -o -name node_modules \) -prune \
		-o -type f -print | sort | while read -r f; do
		case ${f##*/} in
		*.sh) echo "$f" ;;
		*.*) ;;
		*) head -n1 "$f" 2>/dev/null |
			grep -Eq '^#!.*(/|env +)(ba|da|k)?sh( |$)' && echo "$f" ;;
		esac
	done
}

run_shellcheck() {
	local scripts
	mapfile -t scripts < <(shell_scripts)
	echo "shellcheck: ${#scripts[@]} scripts: ${scripts[*]}"
	[ "${#scripts[@]}" -gt 0 ] || { echo "shellcheck: no script found" >&2; return 1; }
	shellcheck --external-sources "${scripts[@]}"
}

# Every Python file git knows, so that a scratch file left in the tree is
# not linted.
run_pyflakes() {
	local files
	mapfile -t files < <(git ls-files '*.py')
	echo "pyflakes: ${#files[@]} files"
	[ "${#files[@]}" -gt 0 ] || { echo "pyflakes: no Python file found" >&2; return 1; }
	pyflakes3 "${files[@]}"
}

# Warnings and errors fail; the style level is left out because it reports
# each page's reference to the other as "not found" until both are
# installed.
run_mandoc() {
	local pages=(man/*.1)
	echo "mandoc: ${pages[*]}"
	mandoc -Tlint -W warning "${pages[@]}"
}

# The workflow runs every goal .ci/run runs (make test standing for the
# goals of its recipe), so that a goal added to one is not forgotten in the
# other.  Variables, matrix values and the like are not goals.
# The words after "make" on the command lines read from standard input.
make_goals() {
	grep -Eo '(^|[ :])make( [^ #]+)+' | sed 's/^.*make //' | tr ' ' '\n' |
		grep -Ev '[=$.{}]|^-' | sort -u
}

run_ci_in_step() {
	local wanted have missing
	wanted=$(grep -E '^make ' .ci/run | make_goals)
	if grep -qx test <<<"$wanted"; then
		# shellcheck disable=SC2016 # $(MAKE) is the Makefile's, not ours
		wanted=$({ grep -vx test <<<"$wanted"
			sed -n '/^test:/,/^$/s/^\t\$(MAKE) //p' Makefile | tr ' ' '\n'; } | sort -u)
	fi
	have=$(grep -E '^ *run: ' .github/workflows/ci.yml | make_goals)
	missing=$(comm -23 <(echo "$wanted") <(echo "$have") | tr '\n' ' ')
	if [ -n "$missing" ]; then
		echo "ci in step: .ci/run runs what the workflow does not: $missing" >&2
		return 1
	fi
	echo "ci in step: the workflow runs all of .ci/run's goals: $(tr '\n' ' ' <<<"$wanted")"
}

# @action-validator/cli checks each workflow against GitHub's schema.  It is
# pinned, and lives in the build folder: nothing installed system-wide.
run_workflow_validator() {
	local bin=$B/node/node_modules/.bin/action-validator wf rc=0
	if [ ! -x "$bin" ]; then
		if ! command -v npm >/dev/null; then
			echo "workflows: npm is missing (Debian: apt-get install npm)" >&2
			return 1
		fi
		mkdir -p "$B/node"
		npm install --prefix "$B/node" --no-audit --no-fund --silent \
			"@action-validator/cli@$VALIDATOR_VERSION" \
			"@action-validator/core@$VALIDATOR_VERSION"
	fi
	shopt -s nullglob
	local workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
	[ "${#workflows[@]}" -gt 0 ] || { echo "workflows: none found" >&2; return 1; }
	for wf in "${workflows[@]}"; do
		if "$bin" "$wf"; then
			echo "workflows: $wf valid"
		else
			rc=1
		fi
	done
	return $rc
}

for check in cppcheck clang_tidy shellcheck pyflakes mandoc workflow_validator ci_in_step; do
	echo "== lint: $check"
	if ! "run_$check" 2>&1; then
		failed+=("$check")
	fi
done

if [ "${#failed[@]}" -gt 0 ]; then
	echo "lint: FAILED: ${failed[*]}"
	exit 1
fi
echo "lint: cppcheck, clang-tidy, shellcheck, pyflakes, mandoc, workflow validation and ci in step clean"

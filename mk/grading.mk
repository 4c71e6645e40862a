# The grader (tests/integration/echo_conformance/grade, docs/grading.md):
# its sandbox on its own, then a small class of correct, broken and hostile
# submissions graded in one command, its reports opened in headless Chromium.
# Needs root (namespaces, cgroups, mounting a scratch cgroup2, a uid per
# job), bubblewrap and chromium
# (ci/install-deps.sh installs those two only for these goals).
#
#   make grading          the grader's tests, all (about 5 to 10 minutes)
#   make grading-sandbox  the sandbox, the copy and the uid ranges (about a minute)
#   make gradescope       Gradescope's autograder zip, $(B)/gradescope/
#
# grading-sandbox runs on cgroup v1 or v2 as mounted, and on v2 also on a
# scratch cgroup2 mount of its own.

GRADING_PYTEST = PYTHONPATH=tests/integration $(PYTHON) -m pytest -p no:cacheprovider -q

.PHONY: grading grading-sandbox
grading-sandbox:
	$(GRADING_PYTEST) tests/grading/test_sandbox.py tests/grading/test_cgroup_v2.py \
	  tests/grading/test_copy_and_uids.py

grading:
	$(GRADING_PYTEST) tests/grading

# Gradescope's autograder zip: setup.sh and run_autograder at its top, the
# suite's package beside them, the course's config (edit
# packaging/gradescope/grading.toml first).  Upload it as the assignment's
# autograder (docs/grading.md).
GRADESCOPE_ZIP = $(B)/gradescope/autograder.zip

.PHONY: gradescope
gradescope:
	rm -rf $(B)/gradescope/stage && mkdir -p $(B)/gradescope/stage
	cp -p packaging/gradescope/setup.sh packaging/gradescope/run_autograder \
	  packaging/gradescope/grading.toml $(B)/gradescope/stage/
	cp -rp tests/integration/echo_conformance $(B)/gradescope/stage/
	find $(B)/gradescope/stage -name __pycache__ -prune -exec rm -rf {} +
	rm -f $(GRADESCOPE_ZIP)
	cd $(B)/gradescope/stage && $(PYTHON) -m zipfile -c ../autograder.zip \
	  setup.sh run_autograder grading.toml echo_conformance
	@echo "gradescope: $(GRADESCOPE_ZIP)"

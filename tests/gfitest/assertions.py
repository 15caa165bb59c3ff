"""Ordinary assertions with a per-test summary line.

ok(cond, what) and check(cond, what) raise AssertionError(what) when cond is
false, so a test stops at its first failed check and exits non-zero with the
message and traceback; Procs still stops every process it started (by PID)
on the way out. ok() also counts the check for finish(), which prints the
plain closing line "name: N passed, 0 failed" once the test ran to its end.
"""
import sys

_passed = 0


def ok(cond, what):
    """Assert cond (naming what on failure); count it for the summary."""
    global _passed
    check(cond, what)
    _passed += 1
    return True


def check(cond, what):
    """Assert cond, naming what on failure (not counted in the summary)."""
    if not cond:
        raise AssertionError(what)
    return True


def checks_passed():
    """How many ok() checks have passed so far."""
    return _passed


def finish(name):
    """Print the summary line and exit 0: every check before it passed."""
    print("%s: %d passed, 0 failed" % (name, _passed), flush=True)
    sys.exit(0)

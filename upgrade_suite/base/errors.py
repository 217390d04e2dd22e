"""One exception type for every error a user can fix, so the runner prints one line and exits."""


class SuiteError(Exception):
    """A problem with the input or the machine, explained in one line with what to do about it.

    Raised before any work starts when it can be; the behave hooks turn it into a single line
    on stderr and a non-zero exit instead of a traceback.
    """

"""One exception type for every error a user can fix, so the runner prints one line and exits."""


class SuiteError(Exception):
    """A problem with the input or the machine, explained in one line with what to do about it.

    Raised before any work starts when it can be; the behave hooks turn it into a single line
    on stderr and a non-zero exit instead of a traceback.
    """


class ReleaseExited(AssertionError, SuiteError):
    """A release that exited by itself while starting: the product failing, not the suite.

    Seen: 1.0.2 started on a 1.0.0 PostgreSQL database exits with status 3 (``column "on_error" does not exist``).
    An AssertionError, so behave and Allure report the scenario failed with the release's own error rather than
    broken (broken means the suite could not judge); still a SuiteError, so the callers that treat a refusal as a
    finding (a hazard that expects one, a pod's restart) keep catching it and the terminal keeps its one line.
    """

"""Leaving the node undoes every registered step in reverse, whatever one of them does: a step that fails or is
interrupted does not keep the ones after it from running, and a node that fails half-way through coming up
undoes exactly what it had done."""

from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.cluster.node import Node, Teardown


def test_every_step_runs_in_reverse_even_when_one_fails_and_the_failure_is_reported():
    ran: list[str] = []
    teardown = Teardown(say=lambda line: None)
    teardown.add("restore sysctls", ran.append, "sysctls")
    teardown.add("remove cni0", lambda: (ran.append("cni0"), 1 / 0))
    teardown.add("stop kubelet", ran.append, "kubelet")
    with pytest.raises(SuiteError, match="left work undone: remove cni0: division by zero") as raised:
        teardown.close()
    assert ran == ["kubelet", "cni0", "sysctls"]
    assert "\n" not in str(raised.value)


def test_an_interrupt_during_one_step_still_runs_the_others_and_then_reaches_the_caller():
    ran: list[str] = []
    teardown = Teardown(say=lambda line: None)
    teardown.add("restore sysctls", ran.append, "sysctls")

    def interrupted() -> None:
        raise KeyboardInterrupt

    teardown.add("stop etcd", interrupted)
    teardown.add("stop kubelet", ran.append, "kubelet")
    with pytest.raises(KeyboardInterrupt):
        teardown.close()
    assert ran == ["kubelet", "sysctls"]


class HalfNode(Node):
    """A node whose start registers two parts and then fails, as a part that never became ready does."""

    def __init__(self, ran: list[str], error: BaseException) -> None:
        super().__init__(Path("/tmp/unused"), Path("/tmp/unused-bin"))
        self.ran, self.error = ran, error

    def _check(self) -> None:
        pass

    def _up(self) -> None:
        self._teardown.add("restore sysctls", self.ran.append, "sysctls")
        self._teardown.add("stop etcd", self.ran.append, "etcd")
        raise self.error


@pytest.mark.parametrize("error", [SuiteError("timed out waiting for the apiserver"), KeyboardInterrupt()])
def test_a_node_that_fails_or_is_interrupted_while_coming_up_undoes_what_it_started(error):
    ran: list[str] = []
    with pytest.raises(type(error)):
        with HalfNode(ran, error):
            raise AssertionError("not reached")
    assert ran == ["etcd", "sysctls"]

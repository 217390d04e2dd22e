"""Asking a gateway one operation at a time and keeping its answer: the workload's grammar, apart from its script.

An operation is never an exception: a refusal, a dropped connection, or an operation not run because what it
needs was not made is an observation, since the other side may answer the same. Each keeps what later operations
need (ids under a key, bearer tokens as secrets), so a script reads as a list of operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from upgrade_suite.client.api import KINDS, ApiError, GatewayApi, object_path

#: Each operation on a connection of its own: after an error 1.1.0 may close a kept-alive connection, and the next
#: operation sent on it would be reset for the previous one's sake (seen on PostgreSQL: "create a user" reset right
#: after an A2A registration answered 500), a difference of timing, not of the databases.
ONE_REQUEST = {"Connection": "close"}
#: What an operation answers when what it needs (an earlier operation's object or token) was not made.
NOT_RUN = "not run: what it needs was not made"
#: What names a value in the gateway's database, as ``table.column: rows`` (given what names it, e.g. a person or a
#: team, and the value): the lab's reading of the database, for a script that must see a row the API cannot show.
Looker = Callable[[str, str], list[str]]
#: How much of a refusal's body the evidence shows.
REFUSAL_SHOWN = 160


@dataclass(frozen=True)
class Observation:
    """One operation and the gateway's answer: its HTTP status, or why it was not run (an earlier step failed)."""

    operation: str
    answer: str
    detail: str = ""
    #: What a refusal said (its body's start): evidence for a person, never compared (it may name ids).
    said: str = ""

    def render(self) -> str:
        return self.answer + (f" ({self.detail})" if self.detail else "") + (f" {self.said!r}" if self.said else "")


class Asker:
    """The operations one gateway (``api``) is asked, and what the script keeps of their answers."""

    def __init__(self, api: GatewayApi, look: Looker | None = None) -> None:
        self.api = api
        self.look = look
        self.observations: list[Observation] = []
        self.ids: dict[str, str] = {}
        self.secrets: dict[str, str] = {}  # bearer tokens the gateway gave, by key

    def _create(self, operation: str, key: str, kind: str, fields: dict[str, Any]) -> None:
        spec = KINDS[kind]
        self._post(operation, key, spec.path, {spec.wrapper: fields} if spec.wrapper else fields)

    def _post(
        self,
        operation: str,
        key: str,
        path: str | None,
        body: dict[str, Any],
        keep: Callable[[dict[str, Any]], str] = lambda answered: str(answered["id"]),
        bearer: str | None = None,
    ) -> None:
        """A create; what ``keep`` reads from its answer (its id) is kept under ``key``. Not run when a value it
        needs was not made (``path`` None: the object it goes under; ``bearer``: the key of a token not given)."""
        inner = [v for v in body.values() if isinstance(v, dict)]
        if (
            path is None
            or self._lacks(bearer)
            or any(value is None for part in (body, *inner) for value in part.values())
        ):
            self._not_run(operation)
            return
        self._kept(operation, key, self._ask("POST", path, body, bearer), keep)

    def _secret(self, key: str) -> Callable[[dict[str, Any]], str]:
        """A ``keep`` for an answer carrying a bearer token: the token is kept as a secret, its object's id (a
        session has none: the token stands for it) as the id."""

        def keep(answered: dict[str, Any]) -> str:
            self.secrets[key] = str(answered["access_token"])
            return str(answered.get("token", {}).get("id", key))

        return keep

    def _in_team(self, team: str, template: str) -> str | None:
        """``template`` with the id of ``team`` in it, or None if the team was not made."""
        return template.format(self.ids[team]) if team in self.ids else None

    def _get_as(self, operation: str, path: str, bearer: str) -> None:
        """A read with one of the workload's tokens instead of the admin's."""
        if self._lacks(bearer):
            self._not_run(operation)
            return
        self._answered(operation, self._ask("GET", path, None, bearer))

    def _call(
        self,
        operation: str,
        method: str,
        kind: str,
        key: str,
        body: dict[str, Any] | None = None,
        bearer: str | None = None,
    ) -> None:
        """``method`` on the object kept as ``key``, as the admin or the bearer of the workload's token ``bearer``."""
        if key not in self.ids or self._lacks(bearer):
            self._not_run(operation)
            return
        self._answered(operation, self._ask(method, _path(kind, self.ids[key]), body, bearer))

    def _look_up(
        self, operation: str, key: str, path: str, pick: Callable[[Any], str], bearer: str | None = None
    ) -> None:
        """A read whose answer holds what later operations need: what ``pick`` finds in it is kept as ``key``."""
        if self._lacks(bearer):
            self._not_run(operation)
            return
        self._kept(operation, key, self._ask("GET", path, None, bearer), pick)

    def _rows_naming(self, operation: str, named: str, key: str) -> None:
        """The database read now for rows naming the object kept as ``key`` (``named``: what names it)."""
        if key not in self.ids:
            self._not_run(operation)
        elif self.look is None:
            self._note(operation, "not read: no database given")
        else:
            self._note(operation, "read", ", ".join(self.look(named, self.ids[key])) or "none")

    def _kept(
        self, operation: str, key: str, answer: httpx.Response | str, keep: Callable[[dict[str, Any]], str]
    ) -> None:
        """The answer noted, and what ``keep`` reads from a success kept as ``key`` (noted if it is not there)."""
        if not isinstance(answer, str) and answer.status_code < 400:
            try:
                self.ids[key] = keep(answer.json())
            except (ValueError, KeyError, TypeError, AttributeError):
                self._note(operation, str(answer.status_code), "its answer lacks what later operations need")
                return
        self._answered(operation, answer)

    def _read_back(self, operation: str, kind: str, key: str, attribute: str) -> None:
        """An object read again: its status and ``attribute`` (how many a list holds; whether a value is set)."""
        self._read(operation, key, lambda found: _path(kind, found), lambda body: _attribute(body, attribute))

    def _read_back_list(self, operation: str, key: str, template: str) -> None:
        """A list read under the object kept as ``key`` (``template`` takes its id): its status and length."""
        self._read(
            operation, key, template.format, lambda body: f"{len(body)} listed" if isinstance(body, list) else ""
        )

    def _read(self, operation: str, key: str, path: Callable[[str], str], describe: Callable[[Any], str]) -> None:
        """A read of what ``path`` makes of the id kept as ``key``: a refusal as any answer, a success described."""
        if key not in self.ids:
            self._not_run(operation)
            return
        answer = self._ask("GET", path(self.ids[key]))
        if isinstance(answer, str) or answer.status_code >= 400:
            self._answered(operation, answer)
            return
        self._note(operation, str(answer.status_code), describe(answer.json()))

    def _ask(
        self, method: str, path: str, body: dict[str, Any] | None = None, bearer: str | None = None
    ) -> httpx.Response | str:
        """The gateway's answer (to the admin, or to the bearer of the workload's token ``bearer``), or "no answer"
        and why (a dropped connection is an outcome, e.g. 1.1.0 resets it on an error it does not handle, and the
        other side may do the same)."""
        try:
            if bearer is None:
                return self.api.response(method, path, json=body, headers=ONE_REQUEST)
            with self.api.bearer(self.secrets[bearer]) as api:
                return api.response(method, path, json=body, headers=ONE_REQUEST)
        except ApiError as error:
            return f"no answer ({str(error).rpartition(': ')[2][:60]})"

    def _lacks(self, bearer: str | None) -> bool:
        """Whether the operation is to be asked with the workload's token ``bearer`` and it was not given."""
        return bearer is not None and bearer not in self.secrets

    def _note(self, operation: str, answer: str, detail: str = "") -> None:
        self.observations.append(Observation(operation, answer, detail))

    def _not_run(self, operation: str) -> None:
        self._note(operation, NOT_RUN)

    def _answered(self, operation: str, answer: httpx.Response | str) -> None:
        """The answer's status (or why none came), with what a refusal said."""
        if isinstance(answer, str):
            self._note(operation, answer)
            return
        said = answer.text[:REFUSAL_SHOWN] if answer.status_code >= 400 else ""
        self.observations.append(Observation(operation, str(answer.status_code), said=said))


def _path(kind: str, object_id: str) -> str:
    """An object's path: under its kind's legacy path for an entity kind, else ``/<kind>/<id>``."""
    return object_path(kind, object_id) if kind in KINDS else f"/{kind}/{object_id}"


def _attribute(body: Any, attribute: str) -> str:
    """What a read object's ``attribute`` (or its camelCase form) holds: how many it lists, or whether it is set; an
    answer that does not show it says so (a resource's read answers its content), never "empty"."""
    shown = [name for name in (attribute, _camel(attribute)) if isinstance(body, dict) and name in body]
    if not shown:
        return f"{attribute} not shown"
    value = body[shown[0]]
    if isinstance(value, list):
        return f"{len(value)} listed"
    return f"{attribute} {'set' if value else 'empty'}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)

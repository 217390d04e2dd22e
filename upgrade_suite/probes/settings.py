"""Runs INSIDE a release's venv (not the suite's): which environment variables its settings models read.

Every ``pydantic_settings.BaseSettings`` model the package defines (``mcpgateway.config.Settings``
and, in newer releases, e.g. the plugin framework's ``PluginsSettings``) is imported from the
files that declare one. Output (JSON, to the path in argv[1]):

- ``variables``: environment variable -> model, field, type and default (as this release resolves
  it in the environment the probe runs in);
- ``environment``: each variable whose default can be written as text and reads back, through this
  release's own parsers, to the same value: what an operator who wrote down every setting of this
  release would pass;
- ``not_representable``: the others and why (None, refused, depends on where the release is
  installed);
- ``refused``: with a second argument (a JSON file of environment variables, e.g. an older
  release's ``environment``), the variables of it this release's models refuse, and why: with
  them set, this release does not start;
- ``edges`` (with ``--edges`` last): per variable, the values at the edges of what this release accepts, from its own
  field declarations (each bound of a number, each choice of a Literal or Enum, both booleans),
  each one checked by reading it back: what an operator may have set within this release's rules;
- ``edges_refused``: with a third argument (variable -> values, e.g. another release's ``edges``),
  the values of it this release refuses, per variable, and why: the accepted values that shrank;
- ``outside``: per numeric variable with bounds, the values just beyond them (what an older release
  without the bound may have been set to).

Written to a file, not stdout, because importing the gateway logs to stdout.
"""

import enum
import importlib
import json
import os
import sys
import typing
from pathlib import Path

import annotated_types
import mcpgateway
from pydantic import AliasChoices, SecretBytes, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode

PACKAGE = Path(mcpgateway.__file__).parent
BASE = dict(os.environ)


def settings_models():
    """Every BaseSettings subclass the package declares, imported from the files that declare one."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "(BaseSettings)" in path.read_text(errors="replace"):
            importlib.import_module(".".join(("mcpgateway", *path.relative_to(PACKAGE).with_suffix("").parts)))
    found, pending = [], list(BaseSettings.__subclasses__())
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        if model.__module__.startswith("mcpgateway") and model not in found:
            found.append(model)
    return sorted(found, key=lambda m: f"{m.__module__}.{m.__qualname__}")


def env_names(model, name, field):
    """The variables that set a field: its aliases as written, else the model's prefix + the name, upper case."""
    alias = field.validation_alias or field.alias
    if isinstance(alias, AliasChoices):
        return [str(choice).upper() for choice in alias.choices if isinstance(choice, str)]
    if alias:
        return [str(alias).upper()]
    return [(model.model_config.get("env_prefix", "") + name).upper()]


def plain(value):
    """A JSON-safe rendering of a resolved value."""
    if isinstance(value, (SecretStr, SecretBytes)):
        value = value.get_secret_value()
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    return json.loads(json.dumps(value, default=str))


def env_value(value, field):
    """How an operator writes a value: scalars as text, lists and dicts as JSON, lists the release parses itself
    (``NoDecode``) comma-separated."""
    value = plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and any(m is NoDecode or isinstance(m, NoDecode) for m in field.metadata):
        return ",".join(map(str, value))
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def load(model, environment, refused, key=lambda name, variable: variable):
    """The model read with ``environment`` (variable -> text) over the process's own; each variable it
    refuses is taken out of ``environment`` into ``refused`` (under ``key(field, variable)``), with why."""
    for _ in range(len(environment) + 1):
        os.environ.clear()
        os.environ.update(BASE)
        os.environ.update(environment)
        try:
            return model()
        except ValidationError as error:
            for problem in error.errors():
                name = str(problem["loc"][0]) if problem["loc"] else ""
                for variable in env_names(model, name, model.model_fields[name]) if name in model.model_fields else []:
                    if variable in environment:
                        refused[key(name, variable)] = f"{environment.pop(variable)!r} refused: {problem['msg']}"
        except Exception as error:  # from 1.0.8 a weak secret is refused by a model validator, not per field
            if type(error).__name__ != "SecurityConfigurationError":
                raise
            name = str(error).split(":", 1)[0].strip()
            named = (
                [v for v in env_names(model, name, model.model_fields[name]) if v in environment]
                if name in model.model_fields
                else []
            )
            if not named:
                raise SystemExit(
                    f"{model.__qualname__} refuses its environment: {str(error).splitlines()[0]}"
                ) from None
            for variable in named:
                refused[key(name, variable)] = f"{environment.pop(variable)!r} refused: {str(error).split('. ', 1)[0]}"
    raise SystemExit(f"{model.__qualname__} refuses what it was given and says of no variable why")


def edge_candidates(field):
    """The values at the edges of what a field's declaration allows, as an operator writes them."""
    annotation = field.annotation
    if typing.get_origin(annotation) is typing.Union:  # Optional[X]: judge X
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = inner[0] if len(inner) == 1 else annotation
    if annotation is bool:
        return ["true", "false"]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(choice) for choice in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    if annotation in (int, float):
        step = 1 if annotation is int else 0
        found = []
        bounds = [c for c in field.metadata if isinstance(c, annotated_types.BaseMetadata)]
        for constraint in bounds:
            for bound, shift in (("ge", 0), ("gt", step), ("le", 0), ("lt", -step)):
                value = getattr(constraint, bound, None)
                if value is not None:
                    found.append(str(annotation(value + shift)))
        return found
    return []


def outside_of(field):
    """Just beyond each numeric bound of a field (its bounds' other side): values an older release without the
    bound may have been set to."""
    annotation = field.annotation
    if typing.get_origin(annotation) is typing.Union:
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = inner[0] if len(inner) == 1 else annotation
    if annotation not in (int, float):
        return []
    step = 1 if annotation is int else 0.5
    found = []
    for constraint in (c for c in field.metadata if isinstance(c, annotated_types.BaseMetadata)):
        for bound, shift in (("ge", -step), ("gt", 0), ("le", step), ("lt", 0)):
            value = getattr(constraint, bound, None)
            if value is not None:
                found.append(str(annotation(value + shift)))
    return found


def refusal(model, variable, text):
    """Why ``model`` refuses ``variable=text`` set alone over its defaults, or None when it accepts it. A value
    that makes another check fail (a production mode that then demands stronger secrets) is refused too."""
    refused = {}
    try:
        load(model, {variable: text}, refused)
    except SystemExit as error:
        return f"{text!r} refused: {error}"
    return refused.get(variable)


def edges_of(model):
    """Each variable's edge values this release itself accepts (each read back alone)."""
    found = {}
    for name, field in sorted(model.model_fields.items()):
        variable = env_names(model, name, field)[0]
        accepted = []
        for text in dict.fromkeys(edge_candidates(field)):
            if refusal(model, variable, text) is None:
                accepted.append(text)
        if accepted:
            found[variable] = accepted
    return found


variables, environment, not_representable = {}, {}, {}
for model in settings_models():
    label = f"{model.__module__}.{model.__qualname__}"
    defaults = model()
    candidates, refused = {}, {}
    for name, field in sorted(model.model_fields.items()):
        value = getattr(defaults, name)
        for variable in env_names(model, name, field):
            variables.setdefault(
                variable,
                {
                    "model": label,
                    "field": name,
                    "type": str(field.annotation).replace("typing.", ""),
                    "default": plain(value),
                },
            )
        if value is None:
            refused[name] = "default is None"
        elif any(place in json.dumps(plain(value)) for place in (sys.prefix, os.environ["HOME"])):
            refused[name] = "default depends on where the release is installed"
        else:
            candidates[name] = env_value(value, field)
    read = load(
        model,
        {env_names(model, name, model.model_fields[name])[0]: text for name, text in candidates.items()},
        refused,
        lambda name, variable: name,
    )
    for name, text in candidates.items():
        if name in refused:
            continue
        if plain(getattr(read, name)) == plain(getattr(defaults, name)):
            environment.setdefault(env_names(model, name, model.model_fields[name])[0], text)
        else:
            refused[name] = f"{text!r} reads back as {plain(getattr(read, name))!r}"
    not_representable.update(
        {env_names(model, name, model.model_fields[name])[0]: reason for name, reason in refused.items()}
    )

refused = {}
if len(sys.argv) > 2:
    carried = json.loads(Path(sys.argv[2]).read_text())
    for model in settings_models():
        load(model, dict(carried), refused)

edges, edges_refused, outside = {}, {}, {}
for model in settings_models():
    if "--edges" in sys.argv:
        edges.update(edges_of(model))
    for name, field in model.model_fields.items():
        if outside_of(field):
            outside[env_names(model, name, field)[0]] = outside_of(field)
if len(sys.argv) > 3 and sys.argv[3] != "--edges":
    theirs = json.loads(Path(sys.argv[3]).read_text())
    owner = {}
    for model in settings_models():
        for name, field in model.model_fields.items():
            for variable in env_names(model, name, field):
                owner.setdefault(variable, model)
    # One pass per position: every variable's k-th value at once, per model; a pass a model refuses without naming
    # a variable (one value made another check fail) is asked again value by value.
    for k in range(max((len(values) for values in theirs.values()), default=0)):
        asked = {v: values[k] for v, values in theirs.items() if len(values) > k and v in owner}
        for model in settings_models():
            mine = {v: text for v, text in asked.items() if owner[v] is model}
            found = {}
            try:
                load(model, dict(mine), found)
            except SystemExit:
                found = {v: why for v, text in mine.items() if (why := refusal(model, v, text)) is not None}
            for variable, why in found.items():
                edges_refused.setdefault(variable, {})[mine[variable]] = why

Path(sys.argv[1]).write_text(
    json.dumps(
        {
            "variables": variables,
            "environment": environment,
            "not_representable": not_representable,
            "refused": refused,
            "edges": edges,
            "edges_refused": edges_refused,
            "outside": outside,
        },
        indent=1,
        sort_keys=True,
    )
)
